class DomainError(Exception):
    """A business rule refused the change; the message is shown to the user as is."""


class IllegalTransition(DomainError):
    pass
