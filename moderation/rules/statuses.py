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


class MailNotices(enum.StrEnum):
    """What a moderator is mailed about entries waiting for moderation (issue 14)."""

    EVERY = "every"  # a notice for each entry as it arrives
    DIGEST = "digest"  # one mail a day, at MAIL_DIGEST_HOUR, when something waits
    NONE = "none"


class MailKind(enum.StrEnum):
    """Why a mail was written: the daily cap and "sent once" count by it."""

    TEST = "test"  # flask mail test
    NOTICE = "notice"  # a moderator: an entry waits
    DIGEST = "digest"  # a moderator: the day's digest
    CONFIRM = "confirm"  # a reader: confirm your address (double opt-in)
    PUBLISHED = "published"  # a reader: your comment was approved
    REPLY = "reply"  # a reader: a reply to your comment was approved
    DATA = "data"  # a reader: the link to see or erase what we hold on an address


class MailState(enum.StrEnum):
    QUEUED = "queued"  # waiting for the job queue, or for a retry
    SENT = "sent"
    FAILED = "failed"  # see the error


class DeliveryState(enum.StrEnum):
    """Where one webhook POST stands."""

    QUEUED = "queued"
    DELIVERED = "delivered"
    FAILED = "failed"


class ImportSystem(enum.StrEnum):
    """Where an imported entry came from (issue 15): its origin, beside its original id."""

    WORDPRESS = "wordpress"
    DISQUS = "disqus"
    ISSO = "isso"
