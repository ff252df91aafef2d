"""The one family of domain errors that services raise.

Pages turn them into form errors, the API into problem+json, commands into a
non-zero exit with the message. Nothing else needs to know about HTTP or exit codes.
"""


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str = ""):
        # A lazily translated message is fixed in the language of the moment.
        message = str(message)
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotFound(DomainError):
    """An unknown ID, or one that belongs to another partner: the two look the same."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class ValidationFailed(DomainError):
    """Several fields failed at once; `errors` maps field name to messages."""

    status = 400
    code = "validation_failed"

    def __init__(self, errors: dict[str, list[str]]):
        errors = {field: [str(m) for m in ms] for field, ms in errors.items()}
        first = next(iter(errors.values()))[0] if errors else "Invalid input."
        super().__init__(first)
        self.errors = errors
