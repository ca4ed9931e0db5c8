class DomainError(Exception):
    """A business rule refused the action; the message is shown to the user as is (Chinese)."""


class ConflictError(DomainError):
    """Another user changed or is changing the same record; nothing was done."""


class RoleRefused(DomainError):
    """The user's role may not take this action: a 403 on every page and API endpoint.

    Raised by `core.rules.require_role`; views and the API map the class, never the message.
    """
