"""What the Atom feeds show (issue 13, Feeds): the newest approved comments and linkbacks
of a post, or of the whole site, and the versions that tag them for caches.

Only approved entries, and never an email: the statements do not even select the column
(SPEC §3, Comment fields). Entries come as places and facts; the web layer makes the
addresses.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from moderation.infra.models import Entry, Post
from moderation.rules.statuses import EntryType, MentionKind, Status

FEED_SIZE = 50  # entries in a feed, newest first: a reader polls, it does not page


@dataclass(frozen=True)
class FeedEntry:
    """What a feed may show of an entry: no email field (SPEC §3)."""

    id: int
    type: EntryType
    mention_kind: MentionKind | None
    author: str
    website: str  # where the author's name leads: their website, or a linkback's source
    html: str  # body_html, sanitised once at submission
    created: datetime
    updated: datetime
    post_slug: str
    post_title: str


_COLUMNS = (
    Entry.id,
    Entry.type,
    Entry.mention_kind,
    Entry.author,
    Entry.website,
    Entry.source_url,
    Entry.body_html,
    Entry.created,
    Entry.updated,
    Post.slug,
    Post.title,
)
_NEWEST = (
    select(*_COLUMNS)
    .join(Post, Post.id == Entry.post_id)
    .where(Entry.status == Status.APPROVED)
    .order_by(Entry.created.desc(), Entry.id.desc())
    .limit(bindparam("size"))
)
_NEWEST_OF_POST = _NEWEST.where(Entry.post_id == bindparam("post_id"))
_SITE_VERSION = select(
    select(func.count()).where(Entry.status == Status.APPROVED).scalar_subquery(),
    select(func.max(Entry.updated)).where(Entry.status == Status.APPROVED).scalar_subquery(),
    select(func.max(Post.created)).scalar_subquery(),
)


def post_entries(session: Session, post: Post, size: int = FEED_SIZE) -> list[FeedEntry]:
    """The newest approved entries of a post, newest first: one query."""
    rows = session.execute(_NEWEST_OF_POST, {"post_id": post.id, "size": size})
    return [_feed_entry(row) for row in rows]


def recent_entries(session: Session, size: int = FEED_SIZE) -> list[FeedEntry]:
    """The newest approved entries of every post, newest first, each with its post: one
    query."""
    return [_feed_entry(row) for row in session.execute(_NEWEST, {"size": size})]


def site_version(session: Session) -> tuple:
    """What changes whenever the site's feed does: the count of approved entries, the
    newest `updated` among them (as threads.thread_version for a post), and the newest
    post's date, which dates a feed with no entry yet. One small query."""
    return tuple(session.execute(_SITE_VERSION).one())


def _feed_entry(row) -> FeedEntry:
    if row.type == EntryType.COMMENT:
        website = row.website
    elif row.mention_kind is not None:  # an h-entry: the author's own address first
        website = row.website or row.source_url or ""
    else:
        website = row.source_url or row.website
    return FeedEntry(
        id=row.id,
        type=row.type,
        mention_kind=row.mention_kind,
        author=row.author,
        website=website,
        html=row.body_html,
        created=row.created,
        updated=row.updated,
        post_slug=row.slug,
        post_title=row.title,
    )
