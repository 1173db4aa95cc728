"""The comments of a page on a registered site, in a frame that works without JavaScript
(issue 13, "Without JavaScript"): `GET /embed/thread?url=…` draws the page's thread and
the comment form, `POST /embed/thread/comments` takes the form.

The frame's form must not need a session cookie (a frame is a third-party context, whose
cookies browsers block), so it carries no CSRF token. It is protected instead by the
signed `shown` stamp (forms.form_stamp: a form must have been drawn by us, and not long
ago) and by where the POST comes from: its Origin, or its Referer without one, must be
our own address (the frame is ours) or a registered site. The reader's own pending
comment is kept in a Partitioned cookie behind https (cookies.py, CHIPS).

A reader with no pending comment of their own gets the same frame as everyone, with no
cookie, so a CDN may keep it (caching.public); security.py lets the registered sites
frame these pages (`frame-ancestors`).

When scripts run, static/embed-frame.js tells the page around the frame how tall its
content is, so that embed.js can size the frame:
`window.parent.postMessage({"type": "moderation:height", "height": N}, siteOrigin)`,
where siteOrigin (the registered origin of the `url` parameter) is the `<html>`
element's `data-parent-origin`. The listener must check `event.origin` against our own.
"""

from flask import (
    Blueprint,
    Response,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from wtforms import HiddenField

from moderation.infra import db
from moderation.infra.fragments import RenderedThread
from moderation.infra.models import Post, utcnow
from moderation.rules import errors, policy, urls
from moderation.rules.statuses import EntryType
from moderation.services import discussion, places, sites, threads
from moderation.web import caching, cookies, intake, rendering, security
from moderation.web.forms import LINE_FORBIDDEN, CommentForm, entry_id, strip

bp = Blueprint("embed", __name__, url_prefix="/embed")

NO_COMMENTS = RenderedThread(html=Markup(""), approved_count=0, reply_authors={}, pages=1)


def _plain_line(value: str | None) -> str | None:
    """A title as one line of text: control and bidi-override characters dropped."""
    return LINE_FORBIDDEN.sub("", value) if isinstance(value, str) else value


class FrameCommentForm(CommentForm):
    """The comment form inside the frame: the page's address goes along, and its title,
    which names the thread that the page's first comment creates."""

    url = HiddenField(filters=[strip])
    title = HiddenField(filters=[strip, _plain_line])


@bp.get("/thread")
def thread():
    """Show a page of the approved entries of a registered site's page, and the form."""
    url = request.args.get("url", "")
    page = rendering.comment_page(request.args.get("page"))
    post = sites.find_thread(db.get_session(), url)  # Refused (400) off every site
    form = FrameCommentForm()
    form.url.data = url
    form.title.data = _plain_line(request.args.get("title", ""))
    remembered = cookies.remembered_commenter()
    if remembered:
        form.name.data = remembered["name"]
        form.email.data = remembered["email"]
        form.website.data = remembered["website"]
        form.remember.data = True
    form.parent.data = request.args.get("replytocom", "")
    return _frame(post, form, page=page)


@bp.post("/thread/comments")
def submit_comment():
    """Take the frame's form: the post page's checks, rules and limits, and the first
    comment on a page creates its thread."""
    session = db.get_session()
    if not security.from_our_pages(*security.frame_origins()):
        # Before anything is read or stored: a page elsewhere posting through a visitor.
        return make_response(
            render_template("error.html", title="Forbidden", message=security.FOREIGN_ORIGIN),
            403,
        )
    url = request.form.get("url", "")
    post = sites.find_thread(session, url)  # Refused (400) off every registered site
    form = FrameCommentForm()

    def again(status: int, notice: str = "") -> Response:
        session.rollback()  # a thread begun for this comment goes with it
        return _frame(sites.find_thread(session, url), form, status, notice)

    def thread_slug() -> str:
        return sites.thread_for(session, url, form.title.data or "").slug  # or finds it

    # The frame ignores the dashboard's session: no moderator is spared the limits here.
    stored = intake.take_comment(form, url, thread_slug, again, exempt=lambda: False)
    if isinstance(stored, Response):
        return stored
    thread_url = (post or sites.find_thread(session, url)).url  # canonical, created or not
    response = redirect(_landing(stored, thread_url), 303)
    intake.remember_author(response, form, stored.id, partitioned=True)
    return response


def _landing(place: places.Place, url: str) -> str:
    """The frame at the page of comments and the anchor of a new entry; its first page
    when no page shows it (spam)."""
    if place.page is None:
        return url_for("embed.thread", url=url)
    page = place.page if place.page > 1 else None
    return url_for("embed.thread", url=url, page=page, _anchor=f"comment-{place.id}")


def _frame(
    post: Post | None,
    form: FrameCommentForm,
    status: int = 200,
    notice: str = "",
    *,
    page: int | None = None,
) -> Response:
    """Draw the frame around the form: the thread (none yet before a page's first
    comment) with the reader's own pending entries. A shared, cacheable read unless it
    shows this reader's own entries or details, or answers a POST."""
    session = db.get_session()
    url = post.url if post is not None and post.url else form.url.data or ""
    own_ids = cookies.own_entry_ids()
    settings = discussion.load(session)
    origins = security.frame_origins()
    parent_origin = urls.origin(url) if urls.is_web_url(url) else ""
    parent_origin = parent_origin if parent_origin in origins else ""
    parent_id = entry_id(form.parent.data)
    if page is None:
        page = rendering.page_of(parent_id)
    if post is None:
        if page > 1:
            raise errors.NotFound("There is no such page of comments.")
        comments_open, version, thread = True, None, NO_COMMENTS
    else:
        comments_open = policy.is_open(post, EntryType.COMMENT, settings.close_after_days, utcnow())
        version = threads.thread_version(session, post)
        thread = rendering.rendered_thread(
            post,
            own_ids,
            page,
            settings,
            comments_open,
            version,
            frame_url=url_for("embed.thread", url=url),
        )
    replying_to = thread.reply_authors.get(parent_id)
    if replying_to is None and status == 200:
        form.parent.data = ""
    title = post.title if post is not None else form.title.data or ""
    response = make_response(
        rendering.render_shared(
            "embed/thread.html",
            post=post,
            title=title,
            url=url,
            thread=thread,
            page=page,
            page_links=rendering.page_links(page, thread.pages),
            comments_open=comments_open,
            form=form,
            replying_to=replying_to,
            notice=notice,
            parent_origin=parent_origin,
            form_stamp=intake.shown_stamp(form.url.data or ""),
        ),
        status,
    )
    if own_ids or form.email.data or status != 200:
        # Only this reader may see their pending comment or what they typed (SPEC §3).
        return caching.private(response)
    shape = (settings.comments_per_page, settings.thread_depth, comments_open)
    stamped = intake.stamp_era()
    return caching.public(
        response,
        (version, shape, title, url, page, form.parent.data, origins, stamped),
        reads_cookies=True,
    )
