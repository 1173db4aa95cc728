"""Which post an imported thread is (issue 15): matched by its address to one of our own
posts, to a post already holding that URL, or to the thread of that page on a registered
site; else a post is created for it (one of our own, with the file's body, when the
address is our own permalink). Nothing is fetched: the title is the file's."""

import unicodedata
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.infra.models import Post
from moderation.rules.imports import ImportedThread
from moderation.rules.limits import SLUG_MAX_CHARS, TITLE_MAX_CHARS
from moderation.rules.urls import OwnSite, canonical_url, is_web_url, without_fragment
from moderation.services import posts, sites

NO_WEB_ADDRESS = "a thread without an http(s) address of at most 2,000 bytes"


class ThreadMap:
    """Thread keys of one file → post ids, found or created as the threads come."""

    def __init__(self, session: Session, own_base_url: str | None = None):
        self.session = session
        self.own = OwnSite(own_base_url) if own_base_url else None
        self.posts: dict[str, int | None] = {}  # None: the thread was refused

    def post_id(self, key: str) -> int | None:
        """The post of a thread read before; None when unknown or refused."""
        return self.posts.get(key)

    def post_for(self, thread: ImportedThread) -> tuple[int | None, bool]:
        """The thread's post id (None when it has no web address), and whether it was
        created now."""
        url = without_fragment(thread.url.strip())
        post, created = None, False
        if is_web_url(url):
            own_slug = self.own.post_slug(url) if self.own is not None else None
            post = self._existing(url, own_slug)
            if post is None:
                post, created = self._create(thread, url, own_slug), True
        self.posts[thread.key] = post.id if post is not None else None
        return self.posts[thread.key], created

    def _existing(self, url: str, own_slug: str | None) -> Post | None:
        if own_slug is not None:
            return self.session.scalar(select(Post).where(Post.slug == own_slug))
        if sites.site_for(self.session, url) is not None:
            found = sites.find_thread(self.session, url)
            if found is not None:
                return found
        return self.session.scalar(select(Post).where(Post.url == url))

    def _create(self, thread: ImportedThread, url: str, own_slug: str | None) -> Post:
        """A post for the thread: one of our own at its permalink's slug, with its body
        (an export of ours coming back); else on its registered site (named by the
        canonical URL, as the embed names it), or a post of its own that keeps the address."""
        title = " ".join(thread.title.split())[:TITLE_MAX_CHARS].rstrip()
        if own_slug is not None:
            slug = self._own_slug(own_slug, thread.slug, title, url)
            # As `flask posts create --body-file` makes it: the body sanitised with the
            # article allowlist.
            post = posts.create_post(
                self.session, slug, title or url[:TITLE_MAX_CHARS], thread.body
            )
        else:
            site = sites.site_for(self.session, url)
            if site is not None:
                url = canonical_url(url, keep_query=site.keep_query)
            post = Post(
                slug=sites.unique_slug(self.session, _slug_base(title, url)),
                title=title or url[:TITLE_MAX_CHARS],
                body="",
                body_html="",
                url=url,
                site_id=site.id if site is not None else None,
            )
            self.session.add(post)
        post.comments_open, post.pings_open = thread.comments_open, thread.pings_open
        if thread.created is not None:
            post.created = thread.created
        self.session.flush()
        return post

    def _own_slug(self, linked: str, named: str, title: str, url: str) -> str:
        """The permalink's slug (no post has it, or it would have been matched); else, when
        that is not a slug of ours, one made from the file's slug or the title."""
        if _is_slug(linked):
            return linked
        base = _slug_base(named if _is_slug(named) else title, url)
        return sites.unique_slug(self.session, base)


def _is_slug(text: str) -> bool:
    return posts.SLUG.match(text) is not None and len(text) <= SLUG_MAX_CHARS


def _slug_base(title: str, url: str) -> str:
    """A slug from the title in ASCII letters, else from the address's path."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = sites.NOT_SLUG.sub("-", ascii_title.lower()).strip("-")
    if not base:
        parts = urlsplit(url)
        base = sites.NOT_SLUG.sub("-", f"{parts.hostname} {unquote(parts.path)}".lower()).strip("-")
    return base[: SLUG_MAX_CHARS - sites.SLUG_SUFFIX_ROOM].rstrip("-") or "imported"
