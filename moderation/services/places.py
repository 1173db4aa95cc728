"""Where an entry is read: its post and the page of comments that shows it.

Services return places, never URLs; the web layer builds the address (url_for) from
the slug, the page and the entry's anchor.
"""

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.orm import Session, aliased

from moderation.infra.models import DiscussionSettings, Entry, Post
from moderation.rules.errors import NotFound
from moderation.rules.statuses import Status
from moderation.services import discussion
from moderation.services.threads import REACTIONS, not_reaction, ranked_count, shown


@dataclass(frozen=True)
class Place:
    """An entry and where it is read: the page of comments of the post at `slug` that
    shows it, at its anchor; `page` is None when no page shows it (spam, trash), and
    its post's first page is then the place to send its author."""

    id: int
    slug: str
    page: int | None


def _entry_place_statement():
    """Where an entry is drawn: its post's slug, its status and kind, and the rank of the
    top-level entry it hangs under (found by walking up), or NULL when not drawn."""
    start, above = aliased(Entry), aliased(Entry)
    chain = (
        select(
            start.id,
            start.parent_id,
            start.post_id,
            start.created,
            literal_column("0").label("level"),  # a typed 0, as PostgreSQL wants
        )
        .where(start.id == bindparam("entry_id"), shown(start))
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(above.id, above.parent_id, above.post_id, above.created, chain.c.level + 1)
        .join(chain, above.id == chain.c.parent_id)
        .where(above.status == Status.APPROVED, not_reaction(above))
    )
    top = select(chain).order_by(chain.c.level.desc()).limit(1).subquery("top")
    approved_before = ranked_count(top.c.post_id, before=top.c)
    rank = select(approved_before + 1).select_from(top).scalar_subquery()
    return (
        select(
            Post.slug,
            Entry.status,
            Entry.mention_kind,
            rank.label("rank"),
            DiscussionSettings.comments_per_page,
        )
        .join(Post, Post.id == Entry.post_id)
        .outerjoin(DiscussionSettings, DiscussionSettings.id == discussion.SETTINGS_ID)
        .where(Entry.id == bindparam("entry_id"))
    )


_ENTRY_PLACE = _entry_place_statement()
_SLUG_OF_ENTRY = select(Post.slug).join(Entry, Entry.post_id == Post.id)


def entry_place(session: Session, entry_id: int, own_ids: Collection[int] = ()) -> Place:
    """The place of an entry the reader may see: one query.

    NotFound unless the public sees the entry (approved), or it is one of `own_ids`
    and pending: its author sees it on the page where it will stay once approved.
    """
    row = session.execute(_ENTRY_PLACE, {"entry_id": entry_id, "own": sorted(own_ids)}).first()
    if row is None:
        raise NotFound("There is no such comment.")
    if row.rank is not None:
        settings = discussion.Settings()  # the defaults, before the settings are first saved
        if row.comments_per_page is not None:
            settings = discussion.Settings(comments_per_page=row.comments_per_page)
        return Place(entry_id, row.slug, settings.page_of(row.rank))
    if row.status == Status.APPROVED and row.mention_kind in REACTIONS:
        return Place(entry_id, row.slug, 1)  # likes and reposts show on every page
    raise NotFound("There is no such comment.")


def landing_place(session: Session, entry_id: int) -> Place:
    """Where the author of an entry just sent is taken: its place, a pending entry
    counting as the author's own; an entry shown nowhere (spam, trash) has no page.
    NotFound when there is no such entry."""
    try:
        return entry_place(session, entry_id, own_ids={entry_id})
    except NotFound:
        slug = session.scalar(_SLUG_OF_ENTRY.where(Entry.id == entry_id))
        if slug is None:
            raise
        return Place(entry_id, slug, None)
