"""Use cases: the operations the web pages and the command line share.

Services take a session and never commit; the caller commits. They raise the
domain errors below, which entry points translate (HTTP status, exit code).
"""

import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup
from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from . import identicon, sanitize
from .models import (
    SLUG_MAX_CHARS,
    TITLE_MAX_CHARS,
    URL_MAX_CHARS,
    USER_AGENT_MAX_CHARS,
    WEBSITE_MAX_BYTES,
    Entry,
    EntryType,
    MentionKind,
    Post,
    Status,
    utcnow,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HELD_FOR_MODERATOR = "held for a moderator"
MAX_VISIBLE_DEPTH = 5  # replies deeper than this are drawn at this indent
REACTIONS = (MentionKind.LIKE, MentionKind.REPOST)  # shown as a row of avatars


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


@dataclass(frozen=True)
class Submission:
    """A reader's comment, validated by the form."""

    text: str
    name: str
    email: str
    website: str
    parent_id: int | None
    ip_address: str
    user_agent: str


@dataclass(frozen=True)
class PublicEntry:
    """What a public page may show of an entry: §3, it has no email field."""

    id: int
    type: EntryType
    author: str
    website: str
    html: Markup
    created: datetime
    avatar: str  # the avatar's public name (identicon.avatar_name)
    depth: int
    pending: bool
    replyable: bool
    by_moderator: bool
    source: str = ""  # a linkback's source page
    mention_kind: MentionKind | None = None  # a webmention's h-entry kind
    photo: str | None = None  # a webmention author's stored photo (Photo key)

    @property
    def anchor(self) -> str:
        return f"comment-{self.id}"

    @property
    def label(self) -> str:
        """How a linkback is introduced: "Pingback", "Trackback", "Mention", "Bookmark"."""
        if self.type == EntryType.WEBMENTION:
            return "Bookmark" if self.mention_kind == MentionKind.BOOKMARK else "Mention"
        return self.type.value.capitalize()

    @property
    def is_reply(self) -> bool:
        """Shown as a comment: a reader's comment, or a webmention marked as a reply."""
        return self.type == EntryType.COMMENT or self.mention_kind == MentionKind.REPLY


@dataclass(frozen=True)
class Thread:
    entries: list[PublicEntry]  # in reading order, replies after their parent
    approved_count: int
    reactions: list[PublicEntry] = field(default_factory=list)  # likes and reposts, compact


@dataclass(frozen=True)
class PostSummary:
    slug: str
    title: str
    created: datetime
    approved_count: int


# Statements a page view runs every time are built once (building costs more than running).
_POST_BY_SLUG = select(Post).where(Post.slug == bindparam("slug"))
_THREAD_VERSION = select(func.count(), func.max(Entry.updated)).where(
    Entry.post_id == bindparam("post_id"), Entry.status == Status.APPROVED
)


def get_post(session: Session, slug: str) -> Post:
    post = session.scalar(_POST_BY_SLUG, {"slug": slug})
    if post is None:
        raise NotFound("There is no post at this address.")
    return post


def create_post(
    session: Session, slug: str, title: str, body: str = "", url: str | None = None
) -> Post:
    """Create a post; its body is the owner's HTML, sanitised with the article allowlist."""
    if not SLUG.match(slug) or len(slug) > SLUG_MAX_CHARS:
        raise Refused(
            f"A slug is at most {SLUG_MAX_CHARS} lowercase letters, digits and single hyphens.",
            "slug",
        )
    if not title.strip() or len(title.strip()) > TITLE_MAX_CHARS:
        raise Refused(f"A post needs a title of at most {TITLE_MAX_CHARS} characters.", "title")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or len(url) > URL_MAX_CHARS:
            raise Refused("A post's URL is an absolute http:// or https:// address.", "url")
    if session.scalar(select(Post.id).where(Post.slug == slug)) is not None:
        raise Refused(f"A post with the slug {slug!r} exists already.", "slug")
    if url is not None and session.scalar(select(Post.id).where(Post.url == url)) is not None:
        raise Refused(f"A post with the URL {url!r} exists already.", "url")
    post = Post(
        slug=slug, title=title.strip(), body=body, body_html=sanitize.article_html(body), url=url
    )
    session.add(post)
    session.flush()
    return post


def submit_comment(session: Session, slug: str, submission: Submission) -> int:
    """Queue a reader's comment for moderation; return its id.

    One INSERT ... SELECT checks that the post exists and is open and stores the
    comment, so a post closed meanwhile cannot slip one in; why a comment was
    refused is looked up only when it was.
    """
    if submission.parent_id is not None:
        _check_parent(session, slug, submission.parent_id)
    now = utcnow()
    values = {
        "parent_id": submission.parent_id,
        "type": EntryType.COMMENT,
        "status": Status.PENDING,
        "reason": HELD_FOR_MODERATOR,
        "author": submission.name,
        "email": submission.email,
        "website": submission.website,
        "body": submission.text,
        "body_html": sanitize.comment_html(submission.text),
        "ip_address": submission.ip_address,
        "user_agent": submission.user_agent[:USER_AGENT_MAX_CHARS],
        "created": now,
        "updated": now,
    }
    entry_id = session.execute(_INSERT_COMMENT, {"slug": slug, **values}).scalar()
    if entry_id is None:
        get_post(session, slug)  # raises NotFound when there is no such post
        raise Closed("Comments are closed on this post.")
    return entry_id


_COMMENT_COLUMNS = (
    "parent_id", "type", "status", "reason", "author", "email", "website",
    "body", "body_html", "ip_address", "user_agent", "created", "updated",
)  # fmt: skip
_INSERT_COMMENT = (
    insert(Entry.__table__)
    .from_select(
        ["post_id", *_COMMENT_COLUMNS],
        select(
            Post.id,
            *(bindparam(name, type_=Entry.__table__.c[name].type) for name in _COMMENT_COLUMNS),
        ).where(Post.slug == bindparam("slug"), Post.comments_open.is_(True)),
    )
    .returning(Entry.__table__.c.id)
)


def _check_parent(session: Session, slug: str, parent_id: int) -> None:
    """§3: a reply answers an approved comment of the same post."""
    parent = session.execute(
        select(Entry.id)
        .join(Post, Post.id == Entry.post_id)
        .where(
            Entry.id == parent_id,
            Post.slug == slug,
            Entry.status == Status.APPROVED,
            Entry.type == EntryType.COMMENT,
        )
    ).first()
    if parent is None:
        raise Refused("The comment you are replying to is not available.", "parent")


def post_thread(
    session: Session, post: Post, own_ids: Collection[int], avatar_key: bytes
) -> Thread:
    """Approved entries of a post, plus the reader's own pending ones, threaded: one query."""
    visible = Entry.status == Status.APPROVED
    if own_ids:
        visible = or_(visible, (Entry.status == Status.PENDING) & Entry.id.in_(own_ids))
    rows = session.execute(
        select(
            Entry.id,
            Entry.parent_id,
            Entry.type,
            Entry.status,
            Entry.author,
            Entry.email,
            Entry.website,
            Entry.source_url,
            Entry.body_html,
            Entry.created,
            Entry.moderator_id,
            Entry.mention_kind,
            Entry.author_photo,
        )
        .where(Entry.post_id == post.id, visible)
        .order_by(Entry.created, Entry.id)
    ).all()
    reactions = [
        _public_entry(row, 0, avatar_key)
        for row in rows
        if row.mention_kind in REACTIONS and row.status == Status.APPROVED
    ]
    shown = {row.id for row in rows}
    children: dict[int | None, list] = defaultdict(list)
    for row in rows:
        if row.mention_kind in REACTIONS:
            continue
        # A reply whose parent is not shown (moved to trash, say) stands on its own.
        children[row.parent_id if row.parent_id in shown else None].append(row)

    entries: list[PublicEntry] = []
    stack = [(row, 0) for row in reversed(children[None])]
    while stack:
        row, depth = stack.pop()
        entries.append(_public_entry(row, depth, avatar_key))
        stack.extend((child, depth + 1) for child in reversed(children[row.id]))
    approved = sum(1 for row in rows if row.status == Status.APPROVED)
    return Thread(entries=entries, approved_count=approved, reactions=reactions)


def thread_version(session: Session, post: Post) -> tuple:
    """What changes whenever the approved entries of a post change: one small query.

    Every change to an entry stamps its `updated`, so it becomes the newest; an entry
    that leaves the approved set lowers the count.
    """
    return tuple(session.execute(_THREAD_VERSION, {"post_id": post.id}).one())


def _public_entry(row, depth: int, avatar_key: bytes) -> PublicEntry:
    if row.type == EntryType.COMMENT:
        seed = row.email or row.author
        website = row.website
    elif row.mention_kind is not None:  # an h-entry: the author's own address first
        seed = row.website or row.source_url or row.author
        website = row.website or row.source_url
    else:
        seed = row.source_url or row.author
        website = row.source_url or row.website
    return PublicEntry(
        id=row.id,
        type=row.type,
        author=row.author,
        website=website,
        html=Markup(row.body_html),
        created=row.created,
        avatar=identicon.avatar_name(avatar_key, seed),
        depth=min(depth, MAX_VISIBLE_DEPTH),
        pending=row.status == Status.PENDING,
        replyable=row.status == Status.APPROVED and row.type == EntryType.COMMENT,
        by_moderator=row.moderator_id is not None,
        source=row.source_url or "",
        mention_kind=row.mention_kind,
        photo=row.author_photo,
    )


def post_summaries(session: Session) -> list[PostSummary]:
    """Every post, newest first, with its count of approved entries: one query."""
    approved = (
        select(Entry.post_id, func.count().label("n"))
        .where(Entry.status == Status.APPROVED)
        .group_by(Entry.post_id)
        .subquery()
    )
    rows = session.execute(
        select(Post.slug, Post.title, Post.created, func.coalesce(approved.c.n, 0))
        .outerjoin(approved, approved.c.post_id == Post.id)
        .order_by(Post.created.desc(), Post.id.desc())
    ).all()
    return [PostSummary(*row) for row in rows]


def queue(
    session: Session, status: Status | None = None, entry_type: EntryType | None = None
) -> Sequence[Entry]:
    """Entries for moderators, newest first, optionally of one status and type."""
    query = select(Entry).order_by(Entry.created.desc(), Entry.id.desc())
    if status is not None:
        query = query.where(Entry.status == status)
    if entry_type is not None:
        query = query.where(Entry.type == entry_type)
    return session.scalars(query).all()


def set_status(session: Session, ids: Collection[int], status: Status, reason: str) -> int:
    """Move entries to a status in one UPDATE; every id must exist, else nothing changes."""
    wanted = set(ids)
    found = set(session.scalars(select(Entry.id).where(Entry.id.in_(wanted))))
    missing = sorted(wanted - found)
    if missing:
        raise NotFound("No entry with id " + ", ".join(map(str, missing)) + ".")
    result = session.execute(
        update(Entry)
        .where(Entry.id.in_(wanted))
        .values(status=status, reason=reason, updated=utcnow())
    )
    return result.rowcount


def post_slugs(session: Session, post_ids: Collection[int]) -> dict[int, str]:
    if not post_ids:
        return {}
    return dict(session.execute(select(Post.id, Post.slug).where(Post.id.in_(post_ids))).all())


def fitting_website(url: str) -> str:
    """A linkback's link for the website field, or "" when longer than the field holds
    (pages then link to its source_url, which holds up to 2,000 bytes)."""
    return url if len(url.encode()) <= WEBSITE_MAX_BYTES else ""


def record_linkback(
    session: Session,
    post: Post,
    entry_type: EntryType,
    source_url: str,
    source_title: str,
    excerpt: str,
    ip_address: str = "",
    user_agent: str = "",
    *,
    reason: str = HELD_FOR_MODERATOR,
    website: str | None = None,
    **mention_fields,
) -> Entry:
    """Queue a verified linkback: shown as "Pingback: <title>" with its excerpt once approved.

    `website` is where the author's name links (a webmention's h-card URL); the source URL
    by default. `mention_fields` are a webmention's mention_kind, author_photo, published.
    """
    entry = Entry(
        post_id=post.id,
        type=entry_type,
        status=Status.PENDING,
        reason=reason,
        author=source_title,
        website=fitting_website(source_url if website is None else website),
        body=excerpt,
        body_html=sanitize.comment_html(excerpt),
        source_url=source_url,
        source_title=source_title,
        ip_address=ip_address,
        user_agent=user_agent[:USER_AGENT_MAX_CHARS],
        **mention_fields,
    )
    session.add(entry)
    session.flush()
    return entry
