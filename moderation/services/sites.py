"""Sites: the origins whose pages we hold comments for (issue 13), and their threads.

A thread is a post named by the canonical URL of its page (urls.canonical_url, with the
site's keep_query). The first comment or linkback to such a URL creates its post; its
title is the embed's data-title meanwhile, then the page's own <title>, read by a job
through the safe fetcher. A URL outside every registered site is refused.
"""

import logging
import re
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from moderation.infra import fetch, jobs
from moderation.infra.models import Post, Site
from moderation.rules import errors, source_page
from moderation.rules.limits import SLUG_MAX_CHARS, TITLE_MAX_CHARS
from moderation.rules.urls import canonical_url, is_web_url, origin, without_fragment

logger = logging.getLogger(__name__)

NOT_ON_A_SITE = "This address is not on a site that this service holds comments for."
NOT_A_WEB_URL = "A page's address is an absolute http:// or https:// URL."
FETCH_TITLE = "fetch-title"  # the kind of job that reads a new thread's title
TRANSIENT_STATUSES = {408, 425, 429}
NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_SUFFIX_ROOM = 8  # "-" and up to seven digits, kept free when the base is cut


def add_site(session: Session, url: str, name: str = "", keep_query: bool = False) -> Site:
    """Register an origin (https://blog.example) to hold comments for its pages."""
    url = url.strip()
    if not is_web_url(url):
        raise errors.Refused(
            "A site is an http:// or https:// origin, such as https://blog.example.", "url"
        )
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise errors.Refused("A site's address holds no user name or password.", "url")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or url.endswith(("?", "#")):
        raise errors.Refused(
            f"A site is an origin only, with no path, query or fragment: {origin(url)}", "url"
        )
    name = " ".join(name.split())
    if len(name) > TITLE_MAX_CHARS:
        raise errors.Refused(f"A site's name is at most {TITLE_MAX_CHARS} characters.", "name")
    site_origin = origin(url)
    if session.scalar(select(Site.id).where(Site.origin == site_origin)) is not None:
        raise errors.Refused(f"The site {site_origin} is registered already.", "url")
    site = Site(origin=site_origin, name=name, keep_query=keep_query)
    session.add(site)
    session.flush()
    return site


def all_sites(session: Session) -> list[Site]:
    """Every registered site, by origin."""
    return list(session.scalars(select(Site).order_by(Site.origin)))


def site_post_counts(session: Session) -> dict[int, int]:
    """How many posts each site holds, by site id (sites with none are absent): one query."""
    rows = session.execute(
        select(Post.site_id, func.count()).where(Post.site_id.is_not(None)).group_by(Post.site_id)
    ).all()
    return {site_id: count for site_id, count in rows}


def remove_site(session: Session, url: str) -> Site:
    """Stop holding comments for a site: its posts and their entries stay, with no site."""
    site = site_for(session, url)
    if site is None:
        shown = origin(url) if is_web_url(url.strip()) else url
        raise errors.NotFound(f"No site is registered at {shown}.", "url")
    # The foreign key says SET NULL too; said here so no backend's pragma decides it.
    session.execute(update(Post).where(Post.site_id == site.id).values(site_id=None))
    session.delete(site)
    session.flush()
    return site


# Built once: every read of a registered site's thread runs both.
_SITE_AT = select(Site).where(Site.origin == bindparam("origin"))
_POSTS_AT = select(Post).where(or_(Post.url == bindparam("url"), Post.url == bindparam("typed")))


def site_for(session: Session, url: str) -> Site | None:
    """The registered site whose origin the URL has; None when none has it."""
    url = url.strip()
    if not is_web_url(url):
        return None
    return session.scalar(_SITE_AT, {"origin": origin(url)})


def site_origins(session: Session) -> list[str]:
    """Every registered origin (for CORS and frame-ancestors): one query."""
    return list(session.scalars(select(Site.origin).order_by(Site.origin)))


def find_thread(session: Session, url: str) -> Post | None:
    """The post of the page at `url` (its canonical URL, the site's keep_query applied);
    None when it has none yet. Refused when the URL is on no registered site."""
    _, canonical = _place(session, url)
    return _post_at(session, canonical, url)


def thread_for(session: Session, url: str, title: str = "") -> Post:
    """The post of the page at `url`, created on first use; a job then reads the page's
    <title>. The caller commits (a refused comment must leave no post)."""
    site, canonical = _place(session, url)
    post = _post_at(session, canonical, url)
    if post is not None:
        return post
    title = " ".join(title.split())[:TITLE_MAX_CHARS].rstrip() or canonical[:TITLE_MAX_CHARS]
    post = Post(
        slug=unique_slug(session, _slug_base(canonical)),
        title=title,
        body="",
        body_html="",
        url=canonical,
        site_id=site.id,
    )
    session.add(post)
    session.flush()
    jobs.submit(session, FETCH_TITLE, post.id)
    return post


def _place(session: Session, url: str) -> tuple[Site, str]:
    url = url.strip()
    if not is_web_url(url):
        raise errors.Refused(NOT_A_WEB_URL, "url")
    site = site_for(session, url)
    if site is None:
        raise errors.Refused(NOT_ON_A_SITE, "url")
    return site, canonical_url(url, keep_query=site.keep_query)


def _post_at(session: Session, canonical: str, url: str) -> Post | None:
    # A post made with `posts create --url` keeps its URL as typed: match that spelling too.
    typed = without_fragment(url.strip())
    posts = session.scalars(_POSTS_AT, {"url": canonical, "typed": typed}).all()
    return next((p for p in posts if p.url == canonical), posts[0] if posts else None)


def _slug_base(canonical: str) -> str:
    parts = urlsplit(canonical)
    text = f"{parts.hostname or ''} {unquote(parts.path)} {unquote(parts.query)}".lower()
    base = NOT_SLUG.sub("-", text).strip("-")
    return base[: SLUG_MAX_CHARS - SLUG_SUFFIX_ROOM].rstrip("-") or "thread"


def unique_slug(session: Session, base: str) -> str:
    """The base, or the base with the first free "-2", "-3"… when a post has it."""
    taken = set(session.scalars(select(Post.slug).where(Post.slug.startswith(base))))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def read_title(session: Session, post_id: int) -> None:
    """The job: fetch the thread's page and take its <title> (jobs.Kind.run)."""
    post = session.get(Post, post_id)
    if post is None or not post.url:  # deleted meanwhile
        return
    limits = fetch.Limits.from_config(current_app.config)
    try:
        page = fetch.fetch(post.url, limits, user_agent=fetch.user_agent(""))
    except fetch.FetchError as error:
        raise jobs.Retry(f"the page could not be fetched: {error}") from None
    if page.status >= 500 or page.status in TRANSIENT_STATUSES:
        raise jobs.Retry(f"the page answered HTTP {page.status}")
    if page.status >= 400:
        return  # no page to name the thread: its title stays as it is
    title = source_page.parse(page.text(), page.url).title
    if title:
        post.title = title[:TITLE_MAX_CHARS]


def keep_title(session: Session, post_id: int, reason: str) -> None:
    """After the last attempt (jobs.Kind.failed): the thread keeps the title it has."""
    logger.info("The title of post %d was not read: %s", post_id, reason)


TITLE_KIND = jobs.Kind(run=read_title, failed=keep_title)
