"""Reader-facing pages: the post list, a post with its comments, and the comment form."""

import time
from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from moderation.infra import db, ratelimit
from moderation.infra.fragments import FragmentCache, RenderedThread
from moderation.infra.models import Post, utcnow
from moderation.rules import errors, identicon, policy
from moderation.rules.limits import MAX_ID
from moderation.rules.statuses import EntryType
from moderation.services import comments, discussion, places, posts, threads
from moderation.services.linkbacks import photos
from moderation.web import cookies, site
from moderation.web.forms import CommentForm, entry_id, form_stamp

bp = Blueprint("public", __name__)
bp.record_once(
    lambda state: state.app.extensions.setdefault("moderation.fragments", FragmentCache())
)


@bp.get("/")
def index():
    """List the posts."""
    return render_template("public/index.html", posts=posts.post_summaries(db.get_session()))


@bp.get("/posts/<slug>/")
def post(slug: str):
    """Show a post, a page of its approved comments and linkbacks, and the comment form."""
    page = comment_page(request.args.get("cpage"))
    post, version = threads.post_with_version(db.get_session(), slug)
    form = CommentForm()
    remembered = cookies.remembered_commenter()
    if remembered:
        form.name.data = remembered["name"]
        form.email.data = remembered["email"]
        form.website.data = remembered["website"]
        form.remember.data = True
    form.parent.data = request.args.get("replytocom", "")
    return render_post(post, form, page=page, version=version)


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


@bp.get(f"/comments/<int(max={MAX_ID}):comment_id>")
def comment(comment_id: int):
    """Send a reader to the page and place that show an entry (moderators' "view" links)."""
    own_ids = cookies.own_entry_ids()
    response = redirect(entry_url(places.entry_place(db.get_session(), comment_id, own_ids)), 302)
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
    stored = take_comment(form, lambda: slug, again, lambda: current_user.is_authenticated)
    if isinstance(stored, Response):
        return stored
    # The page of comments it lands on (the pages of issue 6's Discussion settings), its
    # anchor in view.
    response = redirect(entry_url(stored), 303)
    remember_author(response, form, stored.id)
    return response


def take_comment(
    form: CommentForm,
    thread_slug: Callable[[], str],
    again: Callable[..., Response],
    exempt: Callable[[], bool],
) -> Response | places.Place:
    """Screen a reader's comment (the post page's form, or the embed frame's) and store it
    with the status the Discussion rules give: its place, committed; or the form again,
    `again(status, notice="")`, saying why not.

    `thread_slug` names the post once the form has passed its checks (the frame's first
    comment creates its thread then, and a refusal leaves no thread: nothing is committed);
    `exempt` tells whether the sender is spared the flood rule and the rate limit.
    """
    session = db.get_session()
    if not form.validate():
        return again(400)
    config = current_app.config
    submission = form.submission(request, config["SECRET_KEY"], time.time())
    age = submission.facts.seconds_on_form
    if age is None or age > config["COMMENT_FORM_MAX_SECONDS"]:
        return again(400, "This form is too old to be sent. Please check it and send it again.")
    spared = exempt()
    if not spared and _over_rate_limit():
        return again(429, "You are posting comments too quickly. Slow down.")
    flood_seconds = 0 if spared else config["COMMENT_FLOOD_SECONDS"]
    try:
        stored = comments.submit_comment(
            session, thread_slug(), submission, flood_seconds, config["COMMENT_FORM_MIN_SECONDS"]
        )
    except errors.Refused as refused:
        form[refused.field if refused.field in form else "comment"].errors = [refused.message]
        return again(400)
    except (errors.Closed, errors.Duplicate, errors.Flooding) as refused:
        return again(REFUSAL_STATUS[type(refused)], refused.message)
    session.commit()
    return stored


def remember_author(
    response: Response, form: CommentForm, entry_id: int, partitioned: bool = False
) -> None:
    """Let the author alone see their new entry while it is pending, and keep or forget
    their details as they chose (`partitioned`: cookies for another site's frame, see
    cookies.py)."""
    cookies.remember_own_entry(response, entry_id, partitioned)
    if form.remember.data:
        cookies.remember_commenter(
            response, form.name.data, form.email.data, form.website.data, partitioned
        )
    else:
        cookies.forget_commenter(response, partitioned)


REFUSAL_STATUS = {errors.Closed: 403, errors.Duplicate: 409, errors.Flooding: 429}


def _over_rate_limit() -> bool:
    """Count this post of the form against COMMENT_RATE_LIMIT for the client's IP."""
    limit = current_app.config["COMMENT_RATE_LIMIT"]
    return not ratelimit.admit(limit, ("comment", request.remote_addr or ""))


@bp.errorhandler(CSRFError)
def expired_form(error: CSRFError):
    """Keep what the reader typed when the form's token has expired (SPEC §3: an invalid
    form is re-rendered with what was typed kept)."""
    if request.endpoint != "public.submit_comment":
        return render_template("error.html", message=error.description), 400
    try:
        post = posts.get_post(db.get_session(), request.view_args["slug"])
    except errors.NotFound as missing:  # raised here, no other error handler would run
        return render_template("error.html", title="Not found", message=missing.message), 404
    return render_post(
        post,
        CommentForm(),
        400,
        notice="This form had expired. Please check it and send it again.",
    )


def render_post(
    post: Post,
    form: CommentForm,
    status: int = 200,
    notice: str = "",
    *,
    page: int | None = None,
    version: tuple | None = None,
) -> Response:
    """Render a page of the post around the given form, with the reader's own pending entries.

    `page` defaults to the page of the entry the form replies to (a form sent back with
    errors stays where it was opened), else the first; `version` is the post's
    thread_version when the caller read it already.
    """
    session = db.get_session()
    own_ids = cookies.own_entry_ids()
    settings = discussion.load(session)
    comments_open = policy.is_open(post, EntryType.COMMENT, settings.close_after_days, utcnow())
    parent_id = entry_id(form.parent.data)
    if page is None:
        page = page_of(parent_id)
    thread = rendered_thread(post, own_ids, page, settings, comments_open, version)
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
            page_links=page_links(page, thread.pages),
            comments_open=comments_open,
            form=form,
            replying_to=replying_to,
            notice=notice,
            discovery=discovery,
            form_stamp=shown_stamp(),
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


def shown_stamp() -> str:
    """A comment form's `shown` stamp for now (forms.form_stamp; tests move this module's
    clock, `time`)."""
    return form_stamp(current_app.config["SECRET_KEY"], time.time())


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
) -> RenderedThread:
    """A page of the post's entries as HTML; shared between readers unless this one has
    pending ones. Kept per page and redrawn when the entries or the settings that shape
    them change. `frame_url` draws them for the embed frame at that address (issue 13):
    its pages, permalinks and Reply links stay inside the frame."""
    session = db.get_session()
    cache: FragmentCache = current_app.extensions["moderation.fragments"]
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
    if not own_ids:
        cache.put(key, version, rendered)
    return rendered


def render_shared(template: str, **context) -> str:
    """Render a template drawn the same for every reader, without the app's context
    processors: Flask-Login's loads the reader's account from the session, which a shared
    read (the embed frame, a cacheable read of issue 13) must leave unopened."""
    return current_app.jinja_env.get_template(template).render(context)


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
