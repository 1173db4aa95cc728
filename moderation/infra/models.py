"""The schema: posts, the one queue of entries (comments and linkbacks), the linkback
requests waiting to be verified, and the durable job queue that verifies them."""

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from moderation.rules.limits import (
    EMAIL_MAX_BYTES,
    JOB_ERROR_MAX_CHARS,
    MAIL_SUBJECT_MAX_CHARS,
    NAME_MAX_BYTES,
    ORIGIN_ID_MAX_CHARS,
    REASON_MAX_CHARS,
    SLUG_MAX_CHARS,
    SOURCE_TITLE_MAX_CHARS,
    TITLE_MAX_CHARS,
    URL_MAX_CHARS,
    USER_AGENT_MAX_CHARS,
    USERNAME_MAX_CHARS,
    WEBSITE_MAX_BYTES,
)
from moderation.rules.statuses import (
    DeliveryState,
    EntryType,
    ImportSystem,
    MailKind,
    MailNotices,
    MailState,
    MentionKind,
    MentionState,
    Status,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def _string_enum(enum_class: type[enum.StrEnum], name: str, constraint: bool = True) -> Enum:
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=constraint,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    pass


class Site(Base):
    """An origin whose pages we hold comments for (issue 13): its threads are posts named
    by their canonical URL."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(URL_MAX_CHARS), unique=True)  # urls.origin
    name: Mapped[str] = mapped_column(String(TITLE_MAX_CHARS), default="")
    # Whether the query names a different page (?p=123), or is dropped from thread URLs.
    keep_query: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_CHARS), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_CHARS))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Set for a post hosted elsewhere: its public page, which linkbacks may target.
    url: Mapped[str | None] = mapped_column(String(URL_MAX_CHARS), unique=True)
    # The registered site that holds `url`; NULL for our own posts, or once it is removed.
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL", name="fk_posts_site_id_sites"), index=True
    )
    comments_open: Mapped[bool] = mapped_column(Boolean, default=True)
    pings_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# What the queue's search looks at (services/queue_search.py), and its index (migration 0014).
SEARCHED_COLUMNS = ("author", "email", "website", "ip_address", "source_url", "body")
# The search index differs per database and is the migrations' alone (0014): a pg_trgm
# expression index on PostgreSQL; on SQLite an FTS5 table, its shadow tables
# (entries_search_data, ...) and the triggers that keep it. No model declares them.
MIGRATIONS_ONLY = ("ix_entries_search", "entries_search")


def declared(name: str | None, type_: str, parent_names: dict) -> bool:
    """Whether a schema object is the models' to compare (Alembic's include_name), so
    that autogenerate and the tests leave the migrations' own objects be."""
    return not (name or "").startswith(MIGRATIONS_ONLY)


class Entry(Base):
    """One item of the moderation queue: a comment or a linkback."""

    __tablename__ = "entries"
    __table_args__ = (
        # The post page: approved entries of one post, oldest first; and a thread's
        # version (threads.thread_version: their count and newest `updated`) from the
        # index alone.
        Index("ix_entries_post_status_created_updated", "post_id", "status", "created", "updated"),
        # The queue: one status, newest first.
        Index("ix_entries_status_created", "status", "created"),
        # One linkback per source, type and post (SPEC §3 (Linkbacks): a repeated pingback
        # is fault 48, a repeated trackback an error, a re-sent webmention an update).
        Index("uq_entries_post_type_source", "post_id", "type", "source_url", unique=True),
        # The flood rule and the known-author rule: recent entries by IP, by email.
        Index("ix_entries_ip_created", "ip_address", "created"),
        Index("ix_entries_email_created", "email", "created"),
        # A comment said twice is refused with 409 (README, "What is held, what is refused,
        # and why": the same post, parent, name, email and text): one row per fingerprint.
        Index("uq_entries_fingerprint", "fingerprint", unique=True),
        # A photo is served while an approved entry holds it, and deleted once none does.
        Index("ix_entries_author_photo", "author_photo"),
        # An imported entry is imported once (issue 15): a second run of a file adds none.
        Index("uq_entries_origin", "origin", "origin_id", unique=True),
        # The queue at scale (issue 16): "all" newest first, and the rule filter's count.
        Index("ix_entries_created_id", "created", "id"),
        Index("ix_entries_rule_status_created", "rule", "status", "created"),
        # The queue's search has an index of its own per database, not declared here
        # (migration 0014): ix_entries_search (pg_trgm) on PostgreSQL, the FTS5 table
        # entries_search on SQLite.
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("entries.id", ondelete="SET NULL"), index=True
    )
    type: Mapped[EntryType] = mapped_column(_string_enum(EntryType, "entry_type"))
    status: Mapped[Status] = mapped_column(_string_enum(Status, "entry_status"))
    reason: Mapped[str] = mapped_column(String(REASON_MAX_CHARS), default="")
    # The rule that chose the status (policy.Rule), for the dashboard's filter; "" for
    # entries that predate the rules.
    rule: Mapped[str] = mapped_column(String(40), default="", server_default="")
    author: Mapped[str] = mapped_column(String(NAME_MAX_BYTES))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_BYTES), default="")
    website: Mapped[str] = mapped_column(String(WEBSITE_MAX_BYTES), default="")
    body: Mapped[str] = mapped_column(Text)  # as typed
    body_html: Mapped[str] = mapped_column(Text)  # sanitised once, the only value shown |safe
    # Set on a reply written by a moderator from the dashboard.
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="SET NULL", name="fk_entries_moderator_id_moderators")
    )
    source_url: Mapped[str | None] = mapped_column(String(URL_MAX_CHARS))
    source_title: Mapped[str | None] = mapped_column(String(SOURCE_TITLE_MAX_CHARS))
    # Webmentions marked up with h-entry: what kind, the author's photo (a Photo's key),
    # and when the source says it was published.
    mention_kind: Mapped[MentionKind | None] = mapped_column(
        _string_enum(MentionKind, "mention_kind", constraint=False)
    )
    author_photo: Mapped[str | None] = mapped_column(String(64))
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX_CHARS), default="")
    # A reader's comment: a digest of its post, parent, name, email and text as sent
    # (comments.comment_fingerprint). A moderator's edit leaves it as it was; other
    # entries have none.
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    # The reader ticked "Notify me of replies and when my comment is published": mailed
    # once their address is confirmed (a Subscriber).
    notify: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # An imported entry: the system it came from, its id there, and its parent's id there
    # (kept until that parent is imported too, then resolved into parent_id). WordPress's
    # and Isso's ids are each blog's own: they carry its address ("https://blog.example#12").
    origin: Mapped[ImportSystem | None] = mapped_column(_string_enum(ImportSystem, "import_system"))
    origin_id: Mapped[str | None] = mapped_column(String(ORIGIN_ID_MAX_CHARS))
    origin_parent_id: Mapped[str | None] = mapped_column(String(ORIGIN_ID_MAX_CHARS))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EntryCount(Base):
    """How many entries have a status: kept by the database's triggers (migration 0013) in
    the transaction of every change to entries, so the queue's tabs count nothing. A
    missing row is 0."""

    __tablename__ = "entry_counts"

    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)


class Moderator(Base):
    """A dashboard account. The Flask-Login protocol is spelled out here, without Flask."""

    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX_CHARS), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where notices go ("" : none), and which: every entry, a daily digest, or none.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_BYTES), default="", server_default="")
    mail_notices: Mapped[MailNotices] = mapped_column(
        _string_enum(MailNotices, "mail_notices"), default=MailNotices.NONE, server_default="none"
    )
    # Raised whenever every login ends (password change, disabled): the mail action links
    # signed before then die with them.
    credentials_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    is_authenticated = True
    is_anonymous = False
    login_token = None  # not stored: the token (str) of the login this object serves

    @property
    def is_active(self) -> bool:
        return not self.disabled

    def get_id(self) -> str:
        """What the session cookie carries: the account and its login's token."""
        if self.login_token is None:
            raise ValueError("No login was opened for this moderator (accounts.open_login).")
        return f"{self.id}:{self.login_token}"


class Login(Base):
    """One login of a moderator, alive until its logout: the cookie holds the token, the
    table only its digest. A password change or disabling the account ends them all."""

    __tablename__ = "logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moderator_id: Mapped[int] = mapped_column(
        ForeignKey("moderators.id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """One line of the audit log: who did what to which entries, when, from where."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created", "created"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="SET NULL"), index=True
    )
    username: Mapped[str] = mapped_column(String(USERNAME_MAX_CHARS))
    action: Mapped[str] = mapped_column(String(40))
    entry_ids: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    detail: Mapped[str] = mapped_column(String(1000), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mention(Base):
    """A webmention or trackback as received: answered at once, verified later by a job."""

    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # the status URL's id
    type: Mapped[EntryType] = mapped_column(_string_enum(EntryType, "mention_type"))
    state: Mapped[MentionState] = mapped_column(_string_enum(MentionState, "mention_state"))
    reason: Mapped[str] = mapped_column(String(REASON_MAX_CHARS), default="")  # shown to the sender
    source: Mapped[str] = mapped_column(String(URL_MAX_CHARS))
    target: Mapped[str] = mapped_column(String(URL_MAX_CHARS))
    # NULL while a webmention to a page of a registered site that has no thread yet waits
    # for verification: the thread is made only once the source links to the page.
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("entries.id", ondelete="SET NULL"), index=True
    )
    # What a trackback sends along; empty for webmentions.
    title: Mapped[str] = mapped_column(String(SOURCE_TITLE_MAX_CHARS), default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    blog_name: Mapped[str] = mapped_column(String(SOURCE_TITLE_MAX_CHARS), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX_CHARS), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Photo(Base):
    """An author photo fetched once and served from here: readers never load third parties."""

    __tablename__ = "photos"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the bytes
    media_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Job(Base):
    """One unit of background work, written before the request that asked for it answers."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_after", "state", "run_after"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)  # e.g. the Mention to verify
    state: Mapped[JobState] = mapped_column(_string_enum(JobState, "job_state"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # while running
    error: Mapped[str] = mapped_column(String(500), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DiscussionSettings(Base):
    """The Discussion settings (one row, id 1; absent until first saved: defaults apply)."""

    __tablename__ = "discussion_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hold_all: Mapped[bool] = mapped_column(Boolean, default=True)
    trust_known_authors: Mapped[bool] = mapped_column(Boolean, default=False)
    max_links: Mapped[int] = mapped_column(Integer, default=2)
    moderation_words: Mapped[str] = mapped_column(Text, default="")
    disallowed_words: Mapped[str] = mapped_column(Text, default="")
    close_after_days: Mapped[int] = mapped_column(Integer, default=0)  # 0: never
    thread_depth: Mapped[int] = mapped_column(Integer, default=5)
    comments_per_page: Mapped[int] = mapped_column(Integer, default=50)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Mail(Base):
    """One message to one recipient, built when it was asked for and sent by a job."""

    __tablename__ = "mails"
    # The per-address daily cap, and "sent once" per kind and entry.
    __table_args__ = (Index("ix_mails_recipient_created", "recipient", "created"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(EMAIL_MAX_BYTES))
    kind: Mapped[MailKind] = mapped_column(_string_enum(MailKind, "mail_kind"))
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("entries.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(String(MAIL_SUBJECT_MAX_CHARS))
    message: Mapped[bytes] = mapped_column(LargeBinary)  # RFC 5322, as it goes out
    state: Mapped[MailState] = mapped_column(_string_enum(MailState, "mail_state"))
    error: Mapped[str] = mapped_column(String(JOB_ERROR_MAX_CHARS), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UsedMailAction(Base):
    """A mail action link that was used: each works once (kept until it would expire)."""

    __tablename__ = "used_mail_actions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Subscriber(Base):
    """A reader's address that asked to be notified: nothing but the confirmation is sent
    to it until it is confirmed (double opt-in), and nothing after it unsubscribes."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_BYTES), unique=True)  # lowercased
    # In its confirmation and unsubscribe links.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    confirmed: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Digest(Base):
    """A day whose digest was sent: at most one a day, however many workers look."""

    __tablename__ = "digests"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # 2026-12-03, UTC
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Webhook(Base):
    """A URL an administrator added: it receives a signed JSON POST when an entry arrives
    or changes status (Standard Webhooks)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_MAX_CHARS))
    secret: Mapped[str] = mapped_column(String(100))  # whsec_<base64>
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event POSTed to one webhook, with how its last attempt went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    # The webhook-id header: the same on every retry, so a receiver can drop repeats.
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    entry_id: Mapped[int | None] = mapped_column(Integer)  # kept after the entry goes
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, as signed
    state: Mapped[DeliveryState] = mapped_column(_string_enum(DeliveryState, "delivery_state"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[int | None] = mapped_column(Integer)  # the receiver's last answer
    error: Mapped[str] = mapped_column(String(JOB_ERROR_MAX_CHARS), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ImportRun(Base):
    """One import of one file, by its digest: how far it got, so a run that stopped resumes
    after its last committed batch, and what it did."""

    __tablename__ = "import_runs"
    __table_args__ = (Index("uq_import_runs_system_digest", "system", "digest", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[ImportSystem] = mapped_column(_string_enum(ImportSystem, "import_run_system"))
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the file
    filename: Mapped[str] = mapped_column(String(255), default="")  # its name, no folder
    position: Mapped[int] = mapped_column(Integer, default=0)  # items done and committed
    threads: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # already there
    refused: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DataRequest(Base):
    """A reader asked, on the "Your data" page, to see or erase what we hold on an address:
    the mailed link's key is kept as its digest only, and the row goes once used, expired
    or erased."""

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the key
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_BYTES), index=True)  # lowercased
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
