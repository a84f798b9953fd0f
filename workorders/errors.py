from core.errors import DomainError


class IllegalTransition(DomainError):
    """The work order's status cannot go from where it is to where it was asked to."""
