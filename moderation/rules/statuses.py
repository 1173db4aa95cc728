"""What an entry is and where it stands: the words the spec and the database use."""

import enum


class Status(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    TRASH = "trash"


class EntryType(enum.StrEnum):
    COMMENT = "comment"
    PINGBACK = "pingback"
    TRACKBACK = "trackback"
    WEBMENTION = "webmention"


class MentionKind(enum.StrEnum):
    """What a webmention's h-entry says it is (microformats2: in-reply-to, like-of...)."""

    REPLY = "reply"
    LIKE = "like"
    REPOST = "repost"
    BOOKMARK = "bookmark"
    MENTION = "mention"


class MentionState(enum.StrEnum):
    """Where a received webmention or trackback stands, as its sender may see it."""

    QUEUED = "queued"  # waiting for verification, or for a retry
    VERIFIED = "verified"  # the source links to us: an entry waits for a moderator
    REJECTED = "rejected"  # see the reason
