"""Export (issue 15): every post, or one site's threads, or one post, with all their
entries, as WXR (rules/wxr_writer.py) or JSON Lines (rules/exports.py).

It streams: posts are read POST_BATCH at a time (by id, from where the last batch ended),
and the entries of each batch in one query whose rows come ENTRY_BATCH at a time
(yield_per: a server-side cursor on PostgreSQL), as plain rows that no session keeps. So
the memory an export takes does not grow with the queue, whatever its size.
"""

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from itertools import groupby

from flask import current_app
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from moderation.infra import address
from moderation.infra.models import Entry, Post, Site, utcnow
from moderation.rules import exports, wxr_writer
from moderation.rules.errors import NotFound
from moderation.rules.exports import ExportedEntry, ExportedPost
from moderation.rules.urls import is_web_url, origin
from moderation.services import posts, sites
from moderation.services.accounts import Actor, record

POST_BATCH = 100
ENTRY_BATCH = 500
EXPORT_ACTION = "export"
TITLE = "Comments and linkbacks"
ENTRY_COLUMNS = [getattr(Entry, each.name) for each in fields(ExportedEntry)]
POST_COLUMNS = (
    Post.id,
    Post.slug,
    Post.title,
    Post.url,
    Site.origin,
    Post.body,
    Post.comments_open,
    Post.pings_open,
    Post.created,
)


class Format(enum.StrEnum):
    WXR = "wxr"
    JSONL = "jsonl"


# What each format's file is called and sent as.
SUFFIX = {Format.WXR: "xml", Format.JSONL: "jsonl"}
MEDIA_TYPE = {Format.WXR: "text/xml", Format.JSONL: "application/x-ndjson"}


@dataclass(frozen=True)
class Selection:
    """What an export holds: every post, a registered site's threads, or one post."""

    site_id: int | None = None
    site_origin: str | None = None
    post_id: int | None = None
    post_slug: str | None = None

    def describe(self) -> str:
        """The selection in words, for the audit log."""
        if self.post_slug is not None:
            return f"the post {self.post_slug}"
        if self.site_origin is not None:
            return f"the threads of {self.site_origin}"
        return "every post"


@dataclass(frozen=True)
class Links:
    """Where our posts live: the base of our address ("" when unknown: SPEC §4, own
    address), and a post's permalink by slug (a path when the base is unknown)."""

    base_url: str
    permalink: Callable[[str], str]


def own_links() -> Links:
    """Our address and our posts' permalinks, as far as they are known here."""
    base = address.base_url() or ""
    urls = current_app.url_map.bind("localhost")  # the path alone: no request needed
    return Links(base, lambda slug: base + urls.build("public.post", {"slug": slug}))


def selection(session: Session, site_url: str | None = None, slug: str | None = None) -> Selection:
    """Every post, or those of the registered site at `site_url`, or the post at `slug`
    (both: that post, if the site holds it); NotFound when the site or post is unknown."""
    chosen = Selection()
    if site_url:
        site = sites.site_for(session, site_url)
        if site is None:
            shown = origin(site_url) if is_web_url(site_url.strip()) else site_url
            raise NotFound(f"No site is registered at {shown}.", "site")
        chosen = Selection(site_id=site.id, site_origin=site.origin)
    if slug:
        post = posts.get_post(session, slug)  # NotFound
        if chosen.site_id is not None and post.site_id != chosen.site_id:
            raise NotFound(f"The site {chosen.site_origin} holds no post {slug}.", "post")
        chosen = Selection(chosen.site_id, chosen.site_origin, post.id, post.slug)
    return chosen


def record_export(session: Session, actor: Actor, chosen: Selection, export_format: Format) -> None:
    """Write the export in the audit log: who, of what, in which format; no address."""
    record(session, actor, EXPORT_ACTION, detail=f"exported {chosen.describe()} as {export_format}")


def export(
    session: Session, chosen: Selection, export_format: Format, links: Links
) -> Iterator[str]:
    """The export's text, piece by piece: a post, then its entries."""
    threads = _threads(session, chosen, links)
    if export_format == Format.JSONL:
        for post, entries in threads:
            yield exports.jsonl_line(post)
            yield from map(exports.jsonl_line, entries)
        return
    channel = wxr_writer.Channel(
        title=TITLE if chosen.site_origin is None else f"{TITLE}: {chosen.site_origin}",
        link=chosen.site_origin or links.base_url,
        generated=utcnow(),
    )
    yield wxr_writer.head(channel)
    for post, entries in threads:
        yield wxr_writer.item_start(post)
        yield from map(wxr_writer.comment, entries)
        yield wxr_writer.ITEM_END
    yield wxr_writer.FOOT


def streamed(
    engine: Engine, chosen: Selection, export_format: Format, links: Links
) -> Iterator[str]:
    """The export, read through a session of its own: for a response read after its
    request has ended (and its session with it). The session closes when the stream
    ends, or is dropped half-way."""
    with Session(engine) as session:
        yield from export(session, chosen, export_format, links)


def _threads(
    session: Session, chosen: Selection, links: Links
) -> Iterator[tuple[ExportedPost, Iterator[ExportedEntry]]]:
    """Each chosen post, oldest id first, with its entries in id order (a reply after
    the entry it answers, as the queue made them); each post's entries are read before
    the next post is given."""
    for batch in _post_batches(session, chosen, links):
        rows = session.execute(
            select(*ENTRY_COLUMNS)
            .where(Entry.post_id.in_([post.id for post in batch]))
            .order_by(Entry.post_id, Entry.id)
            .execution_options(yield_per=ENTRY_BATCH)
        )
        entries = (ExportedEntry(*row) for row in rows)
        by_post = groupby(entries, key=lambda entry: entry.post_id)
        current = next(by_post, None)
        for post in batch:
            if current is not None and current[0] == post.id:
                yield post, current[1]
                current = next(by_post, None)
            else:
                yield post, iter(())


def _post_batches(
    session: Session, chosen: Selection, links: Links
) -> Iterator[list[ExportedPost]]:
    """The chosen posts, POST_BATCH at a time, each batch read after the last ended."""
    query = select(*POST_COLUMNS).outerjoin(Site, Site.id == Post.site_id)
    if chosen.site_id is not None:
        query = query.where(Post.site_id == chosen.site_id)
    if chosen.post_id is not None:
        query = query.where(Post.id == chosen.post_id)
    last = 0
    while True:
        rows = session.execute(
            query.where(Post.id > last).order_by(Post.id).limit(POST_BATCH)
        ).all()
        if not rows:
            return
        yield [_post(row, links) for row in rows]
        if len(rows) < POST_BATCH:
            return
        last = rows[-1].id


def _post(row, links: Links) -> ExportedPost:
    post_id, slug, title, url, site, body, comments_open, pings_open, created = row
    return ExportedPost(
        id=post_id,
        slug=slug,
        title=title,
        url=url or links.permalink(slug),
        site=site,
        body=body,
        comments_open=comments_open,
        pings_open=pings_open,
        created=created,
    )
