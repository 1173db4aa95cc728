"""Reader-facing pages: the post list, a post with its comments, and the comment form."""

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
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from . import cookies, db, identicon, services, site
from .forms import CommentForm, entry_id
from .fragments import FragmentCache, RenderedThread
from .linkback import photos
from .models import Post

bp = Blueprint("public", __name__)
bp.record_once(
    lambda state: state.app.extensions.setdefault("moderation.fragments", FragmentCache())
)


@bp.get("/")
def index():
    """List the posts."""
    posts = services.post_summaries(db.get_session())
    return render_template("public/index.html", posts=posts)


@bp.get("/posts/<slug>/")
def post(slug: str):
    """Show a post, its approved comments and linkbacks, and the comment form."""
    post = services.get_post(db.get_session(), slug)
    form = CommentForm()
    remembered = cookies.remembered_commenter()
    if remembered:
        form.name.data = remembered["name"]
        form.email.data = remembered["email"]
        form.website.data = remembered["website"]
        form.remember.data = True
    form.parent.data = request.args.get("replytocom", "")
    return render_post(post, form)


@bp.post("/posts/<slug>/comments")
def submit_comment(slug: str):
    """Take a reader's comment and hold it for moderation."""
    session = db.get_session()
    form = CommentForm()
    if not form.validate():
        return render_post(services.get_post(session, slug), form, 400)
    try:
        entry_id = services.submit_comment(
            session, slug, form.submission(request.remote_addr or "", request.user_agent.string)
        )
    except services.Closed as closed:
        return render_post(services.get_post(session, slug), form, 403, notice=closed.message)
    except services.Refused as refused:
        form[refused.field if refused.field in form else "comment"].errors = [refused.message]
        return render_post(services.get_post(session, slug), form, 400)
    session.commit()
    response = redirect(url_for("public.post", slug=slug, _anchor=f"comment-{entry_id}"), 303)
    cookies.remember_own_entry(response, entry_id)
    if form.remember.data:
        cookies.remember_commenter(response, form.name.data, form.email.data, form.website.data)
    else:
        cookies.forget_commenter(response)
    return response


@bp.errorhandler(CSRFError)
def expired_form(error: CSRFError):
    """Keep what the reader typed when the form's token has expired (§3: no lost comment)."""
    if request.endpoint != "public.submit_comment":
        return render_template("error.html", message=error.description), 400
    try:
        post = services.get_post(db.get_session(), request.view_args["slug"])
    except services.NotFound as missing:  # raised here, no other error handler would run
        return render_template("error.html", title="Not found", message=missing.message), 404
    return render_post(
        post,
        CommentForm(),
        400,
        notice="This form had expired. Please check it and send it again.",
    )


def render_post(post: Post, form: CommentForm, status: int = 200, notice: str = "") -> Response:
    """Render the post page around the given form, with the reader's own pending entries."""
    own_ids = cookies.own_entry_ids()
    thread = _rendered_thread(post, own_ids)
    discovery = {
        "pingback": site.absolute_url("linkback.xmlrpc_endpoint"),
        "webmention": site.absolute_url("linkback.receive_webmention"),
        "trackback": site.absolute_url("linkback.receive_trackback", slug=post.slug),
        "permalink": post.url or site.absolute_url("public.post", slug=post.slug),
    }
    replying_to = thread.reply_authors.get(entry_id(form.parent.data))
    if replying_to is None and status == 200:
        form.parent.data = ""
    response = make_response(
        render_template(
            "public/post.html",
            post=post,
            thread=thread,
            form=form,
            replying_to=replying_to,
            notice=notice,
            discovery=discovery,
        ),
        status,
    )
    # Discovery: Pingback 1.0 §2 and Webmention §3.1.2.
    response.headers["X-Pingback"] = discovery["pingback"]
    response.headers["Link"] = f'<{discovery["webmention"]}>; rel="webmention"'
    if own_ids or form.email.data:
        # Only this reader may see their pending comment or their own details (§3).
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _rendered_thread(post: Post, own_ids: set[int]) -> RenderedThread:
    """The post's entries as HTML; shared between readers unless this one has pending ones."""
    session = db.get_session()
    cache: FragmentCache = current_app.extensions["moderation.fragments"]
    version = None
    if not own_ids:
        version = services.thread_version(session, post)
        cached = cache.get(post.id, version)
        if cached is not None:
            return cached
    thread = services.post_thread(session, post, own_ids, current_app.config["SECRET_KEY"].encode())
    rendered = RenderedThread(
        html=Markup(
            render_template(
                "public/_entries.html",
                entries=thread.entries,
                reactions=thread.reactions,
                post_url=url_for("public.post", slug=post.slug),
                photos=url_for("public.photo", key="_")[:-1],
                avatars=url_for("public.avatar", name="_")[: -len("_.svg")],
            )
        ),
        approved_count=thread.approved_count,
        reply_authors={entry.id: entry.author for entry in thread.entries if entry.replyable},
    )
    if version is not None:
        cache.put(post.id, version, rendered)
    return rendered


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


@bp.app_template_filter("longdate")
def long_date(moment) -> str:
    """Format a timestamp as "November 27, 2026 at 4:45 am" (UTC)."""
    hour = moment.hour % 12 or 12
    meridiem = "am" if moment.hour < 12 else "pm"
    return f"{moment:%B} {moment.day}, {moment.year} at {hour}:{moment:%M} {meridiem}"
