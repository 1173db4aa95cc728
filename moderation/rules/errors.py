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
    """What the request names does not exist."""


class Refused(ServiceError):
    """The input breaks a rule; `field` names the form field it concerns, if any."""


class Closed(ServiceError):
    """The post takes no more comments (or pings)."""


class Duplicate(ServiceError):
    """The same comment was sent before: nothing is stored (a comment's answer is 409)."""


class Flooding(ServiceError):
    """Too soon after the last entry from the same IP or email, or a linkback after the
    last one from the same IP to the same post (SPEC §2, COMMENT_FLOOD_SECONDS)."""


class UnknownTarget(ServiceError):
    """A linkback's target URL names none of our posts."""


class MissingTarget(UnknownTarget):
    """The target is the address of a post of ours, but there is no such post."""


class ForeignTarget(UnknownTarget):
    """The target is no post address of ours, nor the URL of a post registered with us."""


class AlreadyRegistered(Duplicate):
    """A linkback from this source to this post was recorded before, whatever its status."""


class SourceUnreachable(Refused):
    """A linkback's source could not be fetched, or is no page that could link to us."""


class NoLink(Refused):
    """A linkback's source page does not link to its target."""
