from technicians.errors import DomainError

__all__ = ["DomainError", "IllegalTransition"]


class IllegalTransition(DomainError):
    pass
