"""Posts as moderators see them in the dashboard: their counts, and their switches for
comments and pings."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .accounts import Actor, record
from .domain_errors import NotFound
from .models import Entry, Post, Status


@dataclass(frozen=True)
class PostRow:
    id: int
    slug: str
    title: str
    comments_open: bool
    pings_open: bool
    pending: int
    approved: int


def post_rows(session: Session) -> list[PostRow]:
    """Every post with its pending and approved counts: one query."""
    pending = func.count().filter(Entry.status == Status.PENDING)
    approved = func.count().filter(Entry.status == Status.APPROVED)
    rows = session.execute(
        select(
            Post.id,
            Post.slug,
            Post.title,
            Post.comments_open,
            Post.pings_open,
            pending,
            approved,
        )
        .outerjoin(Entry, Entry.post_id == Post.id)
        .group_by(Post.id)
        .order_by(Post.created.desc(), Post.id.desc())
    ).all()
    return [PostRow(*row) for row in rows]


def set_post_open(
    session: Session, actor: Actor, post_id: int, comments_open: bool, pings_open: bool
) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("There is no such post.")
    post.comments_open, post.pings_open = comments_open, pings_open
    record(
        session,
        actor,
        "post-settings",
        (),
        f"{post.slug}: comments {'open' if comments_open else 'closed'}, "
        f"pings {'open' if pings_open else 'closed'}",
    )
    return post
