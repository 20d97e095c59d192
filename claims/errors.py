"""Errors raised by service functions. Each names the rule it enforces.

The admin shows `str(error)` as a message; the API maps the class to an HTTP status and
puts `rule` and the message in the JSON body. Field validation uses Django's own
ValidationError (a 400 with per-field messages).
"""


class ServiceError(Exception):
    """A request the domain refuses. `rule` is a stable, machine-readable name."""

    http_status = 400

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


class NotPermitted(ServiceError):
    """The user's role does not allow this action (403)."""

    http_status = 403


class TransitionNotAllowed(ServiceError):
    """The claim's current state does not allow this action (409)."""

    http_status = 409


class StaleVersion(ServiceError):
    """The caller edited an out-of-date copy; nothing was written (412 over HTTP)."""

    http_status = 412

    def __init__(self, rule: str = "stale_version", message: str = "", *, current_version: int | None = None):
        super().__init__(
            rule,
            message or "Someone else saved this record after you loaded it; reload it and apply your change again.",
        )
        self.current_version = current_version
