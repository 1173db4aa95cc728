"""The domain errors services raise; entry points translate them (HTTP status, XML-RPC
fault, exit code). Each message is safe to show."""

NO_POST = "There is no post at this address."


class ServiceError(Exception):
    """A request the service will not carry out; the message is safe to show."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    pass


class Refused(ServiceError):
    """The input breaks a rule; `field` names the form field it concerns, if any."""


class Closed(ServiceError):
    """The post takes no more comments (or pings)."""


class Duplicate(ServiceError):
    """The same comment was sent before (§6: 409, nothing stored)."""


class Flooding(ServiceError):
    """Too soon after the last one from the same IP or email (§6: 429)."""
