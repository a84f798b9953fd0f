class DomainError(Exception):
    """A business rule refused the change; the message is shown to the user as is.

    Every service raises it (or a subclass). It lives in the lowest app so that every
    app can; `workorders.errors` is where the rest of the project imports it from."""
