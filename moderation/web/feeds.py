"""Atom feeds of approved comments and linkbacks (issue 13, Feeds): a post's, a URL
thread's, and the whole site's.

Cacheable reads (issue 13): shared by every reader, so tagged with the version of what
they show (caching.public: a weak ETag, 304 on If-None-Match, Cache-Control public) and
never carrying a cookie. Atom needs absolute ids and links, so the feeds need the site's
own address (SPEC §4, own address: SITE_URL or TRUSTED_HOSTS); without it they answer
503 naming the setting, as the linkback receivers do, and the pages do not link them.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Blueprint, Response, request

from moderation.infra import db
from moderation.infra.models import Post
from moderation.rules import atom, errors
from moderation.services import feeds, sites, threads
from moderation.web import caching, site

bp = Blueprint("feeds", __name__)

NO_FEED_ADDRESS = (
    "This site does not know its own address, so it cannot serve feeds (Atom needs "
    "absolute links): its owner must set SITE_URL (or TRUSTED_HOSTS)."
)
NO_THREAD = "No one has commented on this page yet."
SITE_FEED_TITLE = "Recent comments"


@bp.app_context_processor
def feed_links() -> dict[str, bool]:
    """Tell the templates whether to link the feeds: only while they can be served."""
    return {"feeds_served": site.known()}


@bp.before_request
def need_own_address() -> Response | None:
    """503 while the site's own address is unknown: a feed with relative ids is no feed."""
    if site.known():
        return None
    return Response(NO_FEED_ADDRESS + "\n", 503, content_type="text/plain; charset=utf-8")


@bp.get("/posts/<slug>/comments.atom")
def post_comments(slug: str):
    """A post's newest approved comments and linkbacks, as Atom."""
    post, version = threads.post_with_version(db.get_session(), slug)
    return _post_feed(post, version, site.absolute_url("feeds.post_comments", slug=slug))


@bp.get("/feeds/thread.atom")
def thread_comments():
    """The feed of the thread of a page on a registered site (?url=), the same as its
    post's: 404 before the page's first comment or linkback, 400 for a URL outside every
    registered site (errors.Refused, with its message)."""
    session = db.get_session()
    post = sites.find_thread(session, request.args.get("url", ""))
    if post is None:
        raise errors.NotFound(NO_THREAD)
    version = threads.thread_version(session, post)
    return _post_feed(post, version, site.absolute_url("feeds.thread_comments", url=post.url))


@bp.get("/comments.atom")
def recent_comments():
    """The whole site's newest approved comments and linkbacks, each naming its post."""
    session = db.get_session()
    version = feeds.site_version(session)
    _, newest, newest_post = version

    def build() -> bytes:
        items = tuple(_item(entry, entry.post_title) for entry in feeds.recent_entries(session))
        feed = atom.Feed(
            id=site.absolute_url("feeds.recent_comments"),
            title=SITE_FEED_TITLE,
            self_url=site.absolute_url("feeds.recent_comments"),
            alternate_url=site.absolute_url("public.index"),
            updated=newest or newest_post or datetime.fromtimestamp(0, UTC),
            items=items,
        )
        return atom.document(feed)

    return _atom_response(version, build)


def _post_feed(post: Post, version: tuple, self_url: str) -> Response:
    """The Atom answer for a post's entries; `version` is its thread_version. Its id is
    the post's feed address, whichever address it was asked at."""
    session = db.get_session()
    _, newest = version

    def build() -> bytes:
        feed = atom.Feed(
            id=site.absolute_url("feeds.post_comments", slug=post.slug),
            title=f"Comments on “{post.title}”",
            self_url=self_url,
            alternate_url=post.url or site.absolute_url("public.post", slug=post.slug),
            updated=newest or post.created,
            items=tuple(_item(entry) for entry in feeds.post_entries(session, post)),
        )
        return atom.document(feed)

    # The title and the page it follows are in the feed too (a URL thread's title is
    # read from its page later).
    return _atom_response((*version, post.title, post.url, self_url), build)


def _item(entry: feeds.FeedEntry, post_title: str = "") -> atom.Item:
    # The permalink is the id and the link: it stays the same when the entry moves to
    # another page of comments, and /comments/<id> leads to the page that shows it.
    permalink = site.absolute_url("public.comment", comment_id=entry.id)
    return atom.Item(
        id=permalink,
        link=permalink,
        title=atom.entry_title(entry.type, entry.mention_kind, entry.author, post_title),
        author=entry.author,
        author_uri=entry.website,
        html=entry.html,
        published=entry.created,
        updated=entry.updated,
    )


def _atom_response(version: object, build: Callable[[], bytes]) -> Response:
    """A public, tagged Atom answer: 304 when the client holds `version` already, before
    the feed is built (one query spared, and the drawing)."""
    response = caching.public(Response(content_type=atom.MEDIA_TYPE), version)
    if response.status_code == 200:
        response.set_data(build())
    return response
