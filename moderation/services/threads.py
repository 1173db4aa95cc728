"""A post's thread as readers see it: which entries it draws and how they rank, pages of
top-level entries with their replies (likes and reposts apart), and the version that
tells the page cache when to draw it again. Pages of comments and thread depth are the
Discussion settings of issue 6; what a public page may show is SPEC §3 (Comment fields:
the email never)."""

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import (
    and_,
    bindparam,
    case,
    func,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from moderation.infra.models import Entry, Post
from moderation.rules import identicon
from moderation.rules.errors import NO_POST, NotFound
from moderation.rules.statuses import EntryType, MentionKind, Status
from moderation.services import discussion

MAX_VISIBLE_DEPTH = 5  # replies deeper than this are listed at this level, after their parent
REACTIONS = (MentionKind.LIKE, MentionKind.REPOST)  # shown as a row of avatars


@dataclass(frozen=True)
class PublicEntry:
    """What a public page may show of an entry: no email field (SPEC §3, Comment fields:
    the email is never public)."""

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
    # Drawn in an <ol class="children"> inside this entry's <li>, so that the markup says
    # who answers whom (as WordPress does).
    replies: tuple["PublicEntry", ...] = ()

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
    """One page of a post's comments: its top-level entries with their replies."""

    entries: list[PublicEntry]  # every entry in reading order, replies after their parent
    approved_count: int  # of the whole post, every page ("N thoughts")
    reactions: list[PublicEntry] = field(default_factory=list)  # likes and reposts, compact
    page: int = 1
    pages: int = 1  # pages of top-level entries, at least one


_THREAD_VERSION = select(func.count(), func.max(Entry.updated)).where(
    Entry.post_id == bindparam("post_id"), Entry.status == Status.APPROVED
)


# Comparisons rather than IN (...): an IN list is an expanding parameter, which is
# worked into the cached SQL again at every execution.


def is_reaction(entry) -> object:
    """A like or a repost: drawn as a row of avatars, outside the thread."""
    return or_(*(entry.mention_kind == kind for kind in REACTIONS))


def not_reaction(entry) -> object:
    """Anything but a like or a repost (an entry with no h-entry kind included)."""
    return or_(
        entry.mention_kind.is_(None), and_(*(entry.mention_kind != kind for kind in REACTIONS))
    )


def shown(entry, post_id=None) -> object:
    """The entry is drawn in the thread (of post `post_id`, when given): approved, or
    pending and the reader's own (the ids bound as "own"), and not a like or repost."""
    own = and_(entry.status == Status.PENDING, entry.id.in_(bindparam("own", expanding=True)))
    drawn = and_(or_(entry.status == Status.APPROVED, own), not_reaction(entry))
    return drawn if post_id is None else and_(entry.post_id == post_id, drawn)


def parent_of(entry) -> tuple:
    """The entry's parent, to outer-join by primary key, and the condition that the entry
    stands at the top level: it is drawn under its parent only when that is an approved
    entry of the thread (not when the parent went to trash, say).

    An outer join on the key, not NOT EXISTS: the planner then looks the parent up by its
    key even before it has statistics for the table.
    """
    parent = aliased(Entry)
    alone = or_(parent.id.is_(None), parent.status != Status.APPROVED, is_reaction(parent))
    return parent, alone


def ranked_count(post_id, before=None):
    """How many approved entries of a post take a rank of their own (stand at the top
    level and are no like or repost): all of them, or those placed before `before`
    (columns `created` and `id`). A scalar subquery."""
    earlier = aliased(Entry)
    parent, alone = parent_of(earlier)
    conditions = [
        earlier.post_id == post_id,
        earlier.status == Status.APPROVED,
        not_reaction(earlier),
        alone,
    ]
    if before is not None:
        conditions.append(
            or_(
                earlier.created < before.created,
                and_(earlier.created == before.created, earlier.id < before.id),
            )
        )
    return (
        select(func.count())
        .select_from(earlier)
        .outerjoin(parent, parent.id == earlier.parent_id)
        .where(*conditions)
        .scalar_subquery()
    )


def _ranked_top_level(post_id):
    """The top-level entries of a post with their rank, oldest first: a CTE (id, status,
    rank). Only approved ones take a rank of their own; the reader's pending one takes the
    rank it will have once approved, so it shows on the page where it lands and moves no
    one else."""
    top = aliased(Entry)
    parent, alone = parent_of(top)
    approved = case((top.status == Status.APPROVED, 1), else_=0)
    rank = func.sum(approved).over(order_by=(top.created, top.id)) + 1 - approved
    return (
        select(top.id, top.status, rank.label("rank"))
        .outerjoin(parent, parent.id == top.parent_id)
        .where(shown(top, post_id), alone)
        .cte("ranked")
    )


# What _public_entry reads of an entry (the email only to seed its avatar's keyed hash).
_ENTRY_COLUMNS = (
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


def _thread_page_statement():
    """One page: its top-level entries (ranks `first` to `last`) and all their replies,
    found by walking down from them, then the likes and reposts; each row with the last
    rank (how many pages) and the post's approved count."""
    post_id = bindparam("post_id")
    ranked = _ranked_top_level(post_id)
    tree = (
        select(ranked.c.id, ranked.c.status, ranked.c.rank)
        .where(ranked.c.rank.between(bindparam("first"), bindparam("last")))
        .cte("tree", recursive=True)
    )
    reply = aliased(Entry)
    tree = tree.union_all(
        select(reply.id, reply.status, tree.c.rank)
        .join(tree, reply.parent_id == tree.c.id)
        .where(shown(reply, post_id), tree.c.status == Status.APPROVED)
    )
    totals = (
        select(func.max(ranked.c.rank)).scalar_subquery().label("last_rank"),
        select(func.count())
        .where(Entry.post_id == post_id, Entry.status == Status.APPROVED)
        .scalar_subquery()
        .label("approved_count"),
    )
    page = union_all(
        select(*_ENTRY_COLUMNS, tree.c.rank, *totals).join(tree, tree.c.id == Entry.id),
        select(*_ENTRY_COLUMNS, null().label("rank"), *totals).where(
            Entry.post_id == post_id,
            Entry.status == Status.APPROVED,
            is_reaction(Entry),
        ),
    ).subquery("page")
    return select(page).order_by(page.c.created, page.c.id)


# The post page's statements, built once too.
_POST_WITH_VERSION = select(
    Post,
    select(func.count())
    .where(Entry.post_id == Post.id, Entry.status == Status.APPROVED)
    .scalar_subquery(),
    select(func.max(Entry.updated))
    .where(Entry.post_id == Post.id, Entry.status == Status.APPROVED)
    .scalar_subquery(),
).where(Post.slug == bindparam("slug"))
_THREAD_PAGE = _thread_page_statement()


def post_with_version(session: Session, slug: str) -> tuple[Post, tuple]:
    """The post at a slug and the version of its approved entries (see thread_version),
    in one query."""
    row = session.execute(_POST_WITH_VERSION, {"slug": slug}).one_or_none()
    if row is None:
        raise NotFound(NO_POST)
    post, count, newest = row
    return post, (count, newest)


def post_thread(
    session: Session,
    post: Post,
    own_ids: Collection[int],
    avatar_key: bytes,
    page: int = 1,
    settings: discussion.Settings | None = None,
    replies_open: bool = True,
) -> Thread:
    """One page of a post's entries, with the reader's own pending ones, threaded: one query.

    A page holds `comments_per_page` top-level entries, oldest first, each with all its
    replies; likes and reposts and the "N thoughts" count belong to every page. A page
    past the last is NotFound (page 1 always exists). Entries at `thread_depth` (and all
    of them when `replies_open` is false) offer no Reply link.
    """
    settings = settings or discussion.Settings()
    per_page = max(settings.comments_per_page, 1)
    rows = session.execute(
        _THREAD_PAGE,
        {
            "post_id": post.id,
            "own": sorted(own_ids),
            "first": (page - 1) * per_page + 1,
            "last": page * per_page,
        },
    ).all()
    placed = [row for row in rows if row.rank is not None]
    if page > 1 and not placed:
        raise NotFound("There is no such page of comments.")
    reactions = [_public_entry(row, 0, avatar_key) for row in rows if row.rank is None]
    # The rule of _parent_of: a reply hangs under its parent only when that is approved.
    approved = {row.id for row in placed if row.status == Status.APPROVED}
    children: dict[int | None, list] = defaultdict(list)
    for row in placed:
        children[row.parent_id if row.parent_id in approved else None].append(row)

    def drawn(row, depth: int, replies: tuple[PublicEntry, ...] = ()) -> PublicEntry:
        can_reply = replies_open and depth + 1 < settings.thread_depth  # depth 0 is level 1
        return _public_entry(row, depth, avatar_key, can_reply, replies)

    top_level = _nested(children, drawn, children[None], 0)
    last_rank = rows[0].last_rank if rows else None
    return Thread(
        entries=list(_reading_order(top_level)),
        approved_count=rows[0].approved_count if rows else 0,
        reactions=reactions,
        page=page,
        pages=max(1, -(-(last_rank or 0) // per_page)),
    )


_AUTHORS_ENTRIES = (
    select(*_ENTRY_COLUMNS)
    .where(
        Entry.post_id == bindparam("post_id"),
        Entry.id.in_(bindparam("ids", expanding=True)),
        Entry.status.in_(bindparam("statuses", expanding=True)),
    )
    .order_by(Entry.created, Entry.id)
)


def authors_entries(
    session: Session,
    post: Post,
    ids: Collection[int],
    avatar_key: bytes,
    pending_only: bool = True,
) -> list[PublicEntry]:
    """The entries among `ids` that their author may see on this post, oldest first: the
    pending ones (SPEC §3, the author's own pending comment), and the approved ones too
    unless `pending_only`; never spam or trash. One query; none when `ids` is empty."""
    if not ids:
        return []
    statuses = [Status.PENDING] if pending_only else [Status.PENDING, Status.APPROVED]
    rows = session.execute(
        _AUTHORS_ENTRIES, {"post_id": post.id, "ids": sorted(ids), "statuses": statuses}
    )
    return [_public_entry(row, 0, avatar_key) for row in rows]


def thread_version(session: Session, post: Post) -> tuple:
    """What changes whenever the approved entries of a post change: one small query.

    Every change to an entry stamps its `updated`, so it becomes the newest; an entry
    that leaves the approved set lowers the count.
    """
    return tuple(session.execute(_THREAD_VERSION, {"post_id": post.id}).one())


def _nested(children: dict, draw: Callable, rows: list, depth: int) -> tuple[PublicEntry, ...]:
    """`rows` at `depth`, each drawn (`draw(row, depth, replies)`) with its replies nested.

    At MAX_VISIBLE_DEPTH a row's replies follow it in the same list instead, as WordPress's
    comment walker lists them once a thread is as deep as it draws.
    """
    if depth < MAX_VISIBLE_DEPTH:
        return tuple(
            draw(row, depth, _nested(children, draw, children[row.id], depth + 1)) for row in rows
        )
    flat: list[PublicEntry] = []
    stack = [(row, depth) for row in reversed(rows)]
    while stack:  # a loop, not recursion: a thread may be deeper than any setting allows now
        row, row_depth = stack.pop()
        flat.append(draw(row, row_depth))
        stack.extend((child, row_depth + 1) for child in reversed(children[row.id]))
    return tuple(flat)


def _reading_order(entries: tuple[PublicEntry, ...]):
    """Every entry of a nested thread, each followed by its replies."""
    for entry in entries:
        yield entry
        yield from _reading_order(entry.replies)


def _public_entry(
    row,
    depth: int,
    avatar_key: bytes,
    can_reply: bool = False,
    replies: tuple[PublicEntry, ...] = (),
) -> PublicEntry:
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
        replyable=can_reply and row.status == Status.APPROVED and row.type == EntryType.COMMENT,
        by_moderator=row.moderator_id is not None,
        source=row.source_url or "",
        mention_kind=row.mention_kind,
        photo=row.author_photo,
        replies=replies,
    )
