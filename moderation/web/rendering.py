"""A post's thread drawn as HTML, shared by the post page and the embed frame: the page
of comments asked for, the rendered entries (kept per page until they change), page
links, and the address of an entry's place.
"""

from flask import current_app, url_for
from markupsafe import Markup

from moderation.infra import db, fragments
from moderation.infra.fragments import RenderedThread
from moderation.infra.models import Post
from moderation.rules import errors
from moderation.services import discussion, places, threads

MAX_COMMENT_PAGE_DIGITS = 9  # more is no page of ours, and int() of a long string is slow


def comment_page(value: str | None) -> int:
    """The page of comments asked for: ?cpage=N (?page=N in the embed frame) with N from
    1, else no page at all (404)."""
    if value is None:
        return 1
    digits = value.isascii() and value.isdigit() and len(value) <= MAX_COMMENT_PAGE_DIGITS
    if not digits or int(value) < 1:
        raise errors.NotFound("There is no such page of comments.")
    return int(value)


def page_of(parent_id: int | None) -> int:
    """The page that shows the entry a form answers; the first when there is none."""
    if parent_id is None:
        return 1
    try:
        return places.entry_place(db.get_session(), parent_id).page or 1
    except errors.NotFound:
        return 1


def entry_url(place: places.Place) -> str:
    """The address of an entry's place: its page of comments (?cpage past the first) at
    its anchor; its post's first page when no page shows it."""
    if place.page is None:
        return url_for("public.post", slug=place.slug)
    cpage = place.page if place.page > 1 else None
    return url_for("public.post", slug=place.slug, cpage=cpage, _anchor=f"comment-{place.id}")


PAGE_LINKS_AROUND = 2  # numbered links either side of the current page


def page_links(page: int, pages: int) -> list[int | None]:
    """The page numbers to link: the first, the last, and those around `page`; None
    marks a gap ("…") between them."""
    wanted = {1, pages, *range(page - PAGE_LINKS_AROUND, page + PAGE_LINKS_AROUND + 1)}
    numbers = sorted(number for number in wanted if 1 <= number <= pages)
    links: list[int | None] = []
    for number in numbers:
        if links and number - links[-1] == 2:
            links.append(number - 1)  # a gap of one page: link it rather than "…"
        elif links and number - links[-1] > 2:
            links.append(None)
        links.append(number)
    return links


def rendered_thread(
    post: Post,
    own_ids: set[int],
    page: int,
    settings: discussion.Settings,
    replies_open: bool,
    version: tuple | None = None,
    *,
    frame_url: str | None = None,
    keep: bool = True,
) -> RenderedThread:
    """A page of the post's entries as HTML; shared between readers unless this one has
    pending ones. Kept per page and redrawn when the entries or the settings that shape
    them change; not kept when `keep` is false (the caller keeps the whole page that
    holds it). `frame_url` draws them for the embed frame at that address (issue 13):
    its pages, permalinks and Reply links stay inside the frame."""
    session = db.get_session()
    cache = fragments.cache()
    key = (post.id, page, frame_url)
    if not own_ids:
        if version is None:
            version = threads.thread_version(session, post)
        version = (*version, settings.comments_per_page, settings.thread_depth, replies_open)
        cached = cache.get(key, version)
        if cached is not None:
            return cached
    thread = threads.post_thread(
        session,
        post,
        own_ids,
        current_app.config["SECRET_KEY"].encode(),
        page,
        settings,
        replies_open,
    )
    rendered = RenderedThread(
        html=Markup(
            render_shared(
                "public/_entries.html",
                entries=thread.entries,
                reactions=thread.reactions,
                post_url=frame_url or url_for("public.post", slug=post.slug),
                page_param="page" if frame_url else "cpage",
                in_frame=frame_url is not None,
                page=page,
                photos=url_for("public.photo", key="_")[:-1],
                avatars=url_for("public.avatar", name="_")[: -len("_.svg")],
            )
        ),
        approved_count=thread.approved_count,
        reply_authors={entry.id: entry.author for entry in thread.entries if entry.replyable},
        pages=thread.pages,
    )
    if keep and not own_ids:
        cache.put(key, version, rendered)
    return rendered


def render_shared(template: str, **context) -> str:
    """Render a template drawn the same for every reader, without the app's context
    processors: Flask-Login's loads the reader's account from the session, which a shared
    read (the embed frame, a cacheable read of issue 13) must leave unopened."""
    return current_app.jinja_env.get_template(template).render(context)
