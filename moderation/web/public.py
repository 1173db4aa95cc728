"""Reader-facing pages: the post list, a post with its comments, and the comment form.

A post's page is the same for every reader with no pending comment of their own and no
remembered details, so it carries no cookie and a CDN may keep it (web/caching.py); its
form needs no session (web/security.py, guard_reader_forms).
"""

import hashlib
import secrets
import sys

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_login import current_user

from moderation.infra import db, fragments
from moderation.infra.models import Post, utcnow
from moderation.rules import identicon, policy
from moderation.rules.limits import MAX_ID
from moderation.rules.statuses import EntryType
from moderation.services import discussion, places, posts, threads
from moderation.services.linkbacks import photos
from moderation.web import caching, cookies, intake, rendering, security, site
from moderation.web.forms import CommentForm, entry_id

bp = Blueprint("public", __name__)
security.guard_reader_forms(bp)

# Stands for the form's stamp in a kept page: no comment can hold it, as no one knows it.
_STAMP_MARK = secrets.token_hex(16)
_KEPT = ("Content-Type", "X-Pingback", "Link")  # a kept page's headers


@bp.get("/")
def index():
    """List the posts."""
    return render_template("public/index.html", posts=posts.post_summaries(db.get_session()))


@bp.get("/posts/<slug>/")
def post(slug: str):
    """Show a post, a page of its approved comments and linkbacks, and the comment form."""
    page = rendering.comment_page(request.args.get("cpage"))
    session = db.get_session()
    post, version = threads.post_with_version(session, slug)
    settings = discussion.load(session)
    remembered = cookies.remembered_commenter()
    replying_to = request.args.get("replytocom", "")
    shared = None
    if not remembered and not cookies.own_entry_ids():
        shared = _shared_version(post, version, settings, page, replying_to)
        unchanged = caching.not_modified(shared, reads_cookies=True)
        if unchanged is not None:
            return unchanged
    if shared is None or replying_to:
        # A reply's page is drawn each time (its entries are kept): any text may follow
        # ?replytocom=, and such pages would push the others out.
        form = _form(remembered, replying_to)
        drawn = render_post(post, form, page=page, version=version, settings=settings)
        return drawn if shared is None else caching.public(drawn, shared, reads_cookies=True)
    # The shared page is kept whole, but for the form's stamp, which is made afresh for
    # each reader (the time trap counts from it).
    cache, key = fragments.cache(), ("post page", post.id, page)
    kept = cache.get(key, shared)
    if kept is None:
        form = _form(None, "")
        drawn = render_post(
            post, form, page=page, version=version, settings=settings, stamp=_STAMP_MARK
        )
        kept = (drawn.get_data(as_text=True), [(k, v) for k, v in drawn.headers if k in _KEPT])
        cache.put(key, shared, kept, sys.getsizeof(kept[0]))
    page_html, headers = kept
    response = Response(
        page_html.replace(_STAMP_MARK, intake.shown_stamp(post.slug)), headers=headers
    )
    return caching.public(response, shared, reads_cookies=True)


def _form(remembered: dict[str, str] | None, replying_to: str) -> CommentForm:
    """The comment form as a GET shows it: the reader's remembered details, the comment
    it answers."""
    form = CommentForm()
    if remembered:
        form.name.data = remembered["name"]
        form.email.data = remembered["email"]
        form.website.data = remembered["website"]
        form.remember.data = True
    form.parent.data = replying_to
    return form


def _digest(text: str) -> bytes:
    """A post's body as a version holds it: the cache keeps versions, uncounted."""
    return hashlib.sha256(text.encode()).digest()


def _shared_version(post: Post, version: tuple, settings, page: int, parent: str) -> tuple:
    """All that the shared page of a post is drawn from: the post, its thread's version,
    the settings that page it, the page asked for, the comment replied to, the links
    that receive pings, and the age of the form's stamp (intake.stamp_era: a kept copy
    never holds a stamp too old to be sent)."""
    comments_open = policy.is_open(post, EntryType.COMMENT, settings.close_after_days, utcnow())
    return (
        (post.id, post.title, _digest(post.body_html), post.url, post.pings_open, comments_open),
        version,
        (settings.comments_per_page, settings.thread_depth),
        (page, parent),
        site.known() and site.base_url(),  # in every link, the receivers' included
        intake.stamp_era(),
    )


@bp.get(f"/comments/<int(max={MAX_ID}):comment_id>")
def comment(comment_id: int):
    """Send a reader to the page and place that show an entry (moderators' "view" links)."""
    own_ids = cookies.own_entry_ids()
    response = redirect(
        rendering.entry_url(places.entry_place(db.get_session(), comment_id, own_ids)), 302
    )
    if own_ids:
        response.headers["Cache-Control"] = "private, no-store"  # may lead to a pending one
    return response


@bp.post("/posts/<slug>/comments")
def submit_comment(slug: str):
    """Screen a reader's comment and store it with the status the Discussion rules give."""
    session = db.get_session()
    form = CommentForm()

    def again(status: int, notice: str = "") -> Response:
        return render_post(posts.get_post(session, slug), form, status, notice=notice)

    # Moderators are not held to the flood rule (SPEC §2, COMMENT_FLOOD_SECONDS) nor to
    # the rate limit.
    # The POST came from our own page (security.guard_reader_forms): a page elsewhere
    # cannot borrow a moderator's session to be spared.
    stored = intake.take_comment(
        form, slug, lambda: slug, again, lambda: current_user.is_authenticated
    )
    if isinstance(stored, Response):
        return stored
    # The page of comments it lands on (the pages of issue 6's Discussion settings), its
    # anchor in view.
    response = redirect(rendering.entry_url(stored), 303)
    intake.remember_author(response, form, stored.id)
    return response


def render_post(
    post: Post,
    form: CommentForm,
    status: int = 200,
    notice: str = "",
    *,
    page: int | None = None,
    version: tuple | None = None,
    settings: discussion.Settings | None = None,
    stamp: str | None = None,
) -> Response:
    """Render a page of the post around the given form, with the reader's own pending entries.

    `page` defaults to the page of the entry the form replies to (a form sent back with
    errors stays where it was opened), else the first; `version` is the post's
    thread_version and `settings` the Discussion settings, when the caller read them
    already; `stamp` the form's, when not one made now.
    """
    own_ids = cookies.own_entry_ids()
    settings = settings or discussion.load(db.get_session())
    comments_open = policy.is_open(post, EntryType.COMMENT, settings.close_after_days, utcnow())
    parent_id = entry_id(form.parent.data)
    if page is None:
        page = rendering.page_of(parent_id)
    # A page kept whole (stamp given) holds its entries: they are not kept twice.
    thread = rendering.rendered_thread(
        post, own_ids, page, settings, comments_open, version, keep=stamp is None
    )
    discovery = _discovery(post)
    replying_to = thread.reply_authors.get(parent_id)
    if replying_to is None and status == 200:
        form.parent.data = ""
    response = make_response(
        render_template(
            "public/post.html",
            post=post,
            thread=thread,
            page=page,
            page_links=rendering.page_links(page, thread.pages),
            comments_open=comments_open,
            form=form,
            replying_to=replying_to,
            notice=notice,
            discovery=discovery,
            form_stamp=stamp or intake.shown_stamp(post.slug),
        ),
        status,
    )
    if discovery:  # Pingback 1.0 §2 and Webmention §3.1.2
        response.headers["X-Pingback"] = discovery["pingback"]
        response.headers["Link"] = f'<{discovery["webmention"]}>; rel="webmention"'
    if own_ids or form.email.data:
        # Only this reader may see their pending comment or their own details (SPEC §3,
        # The author's own pending comment; Comment fields: the email never public).
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _discovery(post: Post) -> dict[str, str] | None:
    """The receivers' addresses for the headers, <link> tags and TrackBack RDF; None
    while the site's own address is unknown (SPEC §4, own address: SITE_URL or
    TRUSTED_HOSTS), for then they refuse every ping."""
    if not site.known():
        return None
    return {
        "pingback": site.absolute_url("linkback.xmlrpc_endpoint"),
        "webmention": site.absolute_url("linkback.receive_webmention"),
        "trackback": site.absolute_url("linkback.receive_trackback", slug=post.slug),
        "permalink": post.url or site.absolute_url("public.post", slug=post.slug),
    }


@bp.get("/avatars/<name>.svg")
def avatar(name: str):
    """Serve an identicon by its pattern; the same name always draws the same image."""
    drawing = identicon.svg(name)
    if drawing is None:
        abort(404)
    response = make_response(drawing)
    response.content_type = "image/svg+xml"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.get("/photos/<key>")
def photo(key: str):
    """Serve a webmention author's photo, fetched once from its source (never hotlinked)."""
    stored = photos.find(db.get_session(), key)
    if stored is None:
        abort(404)
    response = make_response(stored.data)
    response.content_type = stored.media_type
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
