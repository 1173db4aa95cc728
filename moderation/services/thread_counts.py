"""How many approved entries the threads at many page URLs have (issue 13: the comment
counts of a blog's listing page, from one request): one query for them all.

A thread is named by the canonical URL of its page, the query kept only when its site
says so (services/sites.py). Which of the two a URL with a query names depends on its
site, so both are looked up at once, with each post's site, and the site decides here.
"""

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from moderation.infra.models import Entry, Post, Site
from moderation.rules.statuses import Status
from moderation.rules.urls import canonical_url, is_web_url, without_fragment

_APPROVED = (
    select(func.count())
    .where(Entry.post_id == Post.id, Entry.status == Status.APPROVED)
    .scalar_subquery()
)
_COUNTS = (
    select(Post.url, Site.keep_query, _APPROVED)
    .outerjoin(Site, Site.id == Post.site_id)
    .where(Post.url.in_(bindparam("urls", expanding=True)))
)


def approved_counts(session: Session, urls: Sequence[str]) -> dict[str, int]:
    """The approved count of the thread at each URL, keyed by the URL as given: 0 for a
    page with no thread yet, and for an address that is no web URL. One query."""
    candidates = {url: _candidates(url) for url in urls}
    wanted = sorted({candidate for found in candidates.values() for candidate in found})
    if not wanted:
        return {url: 0 for url in urls}
    rows = session.execute(_COUNTS, {"urls": wanted}).all()
    by_url = {row.url: (bool(row.keep_query), row[2]) for row in rows}
    return {url: _count_for(candidates[url], by_url) for url in urls}


def _candidates(url: str) -> tuple[str, ...]:
    """The post URLs that may name the page: canonical with its query, canonical without
    it, and as typed (a post made with `posts create --url` keeps that spelling)."""
    url = url.strip()
    if not is_web_url(url):
        return ()
    return (canonical_url(url, keep_query=True), canonical_url(url), without_fragment(url))


def _count_for(candidates: tuple[str, ...], by_url: dict[str, tuple[bool, int]]) -> int:
    """The count of the post the URL names, as sites.find_thread chooses it: the canonical
    URL by the site's keep_query first, then the URL as typed."""
    if not candidates:
        return 0
    with_query, without_query, as_typed = candidates
    for url, keeps_query in ((with_query, True), (without_query, False)):
        if url in by_url and by_url[url][0] == keeps_query:
            return by_url[url][1]
    if as_typed in by_url:
        return by_url[as_typed][1]
    return 0
