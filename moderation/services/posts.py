"""Posts: created, found by slug, listed with their counts for readers and for the
dashboard, and opened or closed to comments and pings."""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from moderation.infra.models import Entry, Post, Site
from moderation.rules import sanitize
from moderation.rules.errors import NO_POST, NotFound, Refused
from moderation.rules.limits import SLUG_MAX_CHARS, TITLE_MAX_CHARS
from moderation.rules.statuses import Status
from moderation.rules.urls import is_web_url, origin
from moderation.services import sites
from moderation.services.accounts import Actor, record

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class PostSummary:
    slug: str
    title: str
    created: datetime
    approved_count: int


# Statements a page view runs every time are built once (building costs more than running).
_POST_BY_SLUG = select(Post).where(Post.slug == bindparam("slug"))


def get_post(session: Session, slug: str) -> Post:
    """The post at a slug; NotFound when there is none."""
    post = session.scalar(_POST_BY_SLUG, {"slug": slug})
    if post is None:
        raise NotFound(NO_POST)
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
    if url is not None and not is_web_url(url):
        raise Refused("A post's URL is an absolute http:// or https:// address.", "url")
    if session.scalar(select(Post.id).where(Post.slug == slug)) is not None:
        raise Refused(f"A post with the slug {slug!r} exists already.", "slug")
    if url is not None and session.scalar(select(Post.id).where(Post.url == url)) is not None:
        raise Refused(f"A post with the URL {url!r} exists already.", "url")
    # Issue 13: a post hosted elsewhere belongs to the registered site that holds it, so
    # its pages take comments and linkbacks. Its URL stays as typed (linkbacks match its
    # spellings).
    site = None
    if url is not None:
        site = sites.site_for(session, url)
        if site is None:
            raise Refused(
                f"No registered site holds {url}: register it first with "
                f"`flask sites add {origin(url)}`.",
                "url",
            )
    post = Post(
        slug=slug,
        title=title.strip(),
        body=body,
        body_html=sanitize.article_html(body),
        url=url,
        site_id=site.id if site is not None else None,
    )
    session.add(post)
    session.flush()
    return post


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


@dataclass(frozen=True)
class PostRow:
    id: int
    slug: str
    title: str
    comments_open: bool
    pings_open: bool
    pending: int
    approved: int
    site: str | None = None  # the origin of its registered site, if any


def post_rows(session: Session) -> list[PostRow]:
    """Every post with its pending and approved counts and its site: one query."""
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
            Site.origin,
        )
        .outerjoin(Entry, Entry.post_id == Post.id)
        .outerjoin(Site, Site.id == Post.site_id)
        .group_by(Post.id, Site.origin)
        .order_by(Post.created.desc(), Post.id.desc())
    ).all()
    return [PostRow(*row) for row in rows]


def set_post_open(
    session: Session, actor: Actor, post_id: int, comments_open: bool, pings_open: bool
) -> Post:
    """Open or close a post to comments and to pings, and log it."""
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
