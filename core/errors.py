class DomainError(Exception):
    """A business rule refused the action; the message is shown to the user as is (Chinese)."""


class ConflictError(DomainError):
    """Another user changed or is changing the same record; nothing was done."""
