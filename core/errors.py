class DomainError(Exception):
    """A business rule refused the change; the message is shown to the user as is.

    Every service raises it (or a subclass). It lives in `core`, below every app, so
    that every app imports it from this one place."""
