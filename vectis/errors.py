"""Domain errors raised by services; the API layer turns them into the error envelope."""


class DomainError(Exception):
    """A refused operation. `code` is the stable machine-readable error code."""

    status_code = 400
    code = "domain_error"
    default_message = "The operation was refused."

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        code: str | None = None,
        details: list[dict] | None = None,
        extra: dict | None = None,
    ):
        self.message = message or self.default_message
        self.field = field
        if code:
            self.code = code
        self.details = details
        self.extra = extra or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    status_code = 400
    code = "validation_error"
    default_message = "The request is invalid."


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class DuplicateError(Conflict):
    code = "duplicate"
    default_message = "An object with this value already exists."


class ConflictRetry(Conflict):
    """Raised after a deadlock or serialization failure survived every retry."""

    code = "conflict_retry"
    default_message = "The request conflicted with concurrent changes; retry it."
