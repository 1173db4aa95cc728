"""The JSON API under /api/v1/ (issue 13), which embed.js draws a blog page's comments
from: a page URL's thread, comment counts, a comment POST, a preview, the reader's own
pending entries, and the OpenAPI 3.1 document of it all.

It runs the HTML form's checks, not copies of them: the same CommentForm (its messages
answered as JSON), the signed form stamp and its time trap, the honeypot,
COMMENT_RATE_LIMIT, the flood rule, the Discussion rules and the sanitiser, through the
same service. It is exempt from CSRF tokens and has no session (web/security.py): a
POST is checked by its stamp and its Origin instead, and a moderator's cookie changes
nothing. CORS is granted to registered sites alone, without credentials.

Shared reads (a thread with no pending entry of the reader's, the counts) are cacheable
(web/caching.py); the thread's form stamp ages with them, so its ETag changes as the
stamp ages (intake.stamp_era), and a kept copy never holds a stamp too old to be sent.
"""

import secrets
import sys
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from moderation.infra import db, fragments, ratelimit
from moderation.infra.models import utcnow
from moderation.rules import errors, policy, sanitize
from moderation.rules.limits import TITLE_MAX_CHARS
from moderation.rules.statuses import EntryType, Status
from moderation.rules.urls import canonical_url
from moderation.services import discussion, sites, thread_counts, threads
from moderation.web import caching, intake, rendering, revalidation, security, site
from moderation.web.api import cors, reader_token, shapes
from moderation.web.api.openapi import Operation, document, documented
from moderation.web.api.shapes import MAX_COUNT_URLS
from moderation.web.forms import CommentForm, form_stamp

bp = Blueprint("api", __name__, url_prefix=security.API_PATH)
cors.init_app(bp)

# Stands for the form's stamp in a kept thread: no entry can hold it, as no one knows it.
_STAMP_MARK = secrets.token_hex(16)

TITLE = "Comments API"
VERSION = "1"
DESCRIPTION = (
    "The comments of pages on registered sites: a page's thread, comment counts, a "
    "comment POST held for moderation, a preview, and the reader's own pending entries. "
    "Never an email, nor a hash of one. CORS for registered sites' origins only, without "
    "credentials."
)
NO_URL = "Give the page's address as url."
NOT_AN_OBJECT = "The body must be a JSON object."
TOO_MANY_PREVIEWS = "Too many previews from this address; try again in a minute."
TOO_MANY_URLS = f"Ask for the counts of at most {MAX_COUNT_URLS} addresses at a time."
# The body's keys, by the CommentForm field each fills (the stamp is the form's `shown`).
FORM_FIELDS = {
    "comment": "comment",
    "name": "name",
    "email": "email",
    "website": "website",
    "parent": "parent",
    "homepage": "homepage",
    "stamp": "shown",
}
ERROR_STATUS = {
    errors.Refused: 400,
    errors.NotFound: 404,
    errors.Closed: 403,
    errors.Duplicate: 409,
    errors.Flooding: 429,
}
_ERROR = ("An error, safe to show.", shapes.Error)


# Views.


@bp.get("/thread")
@documented(
    Operation(
        query=shapes.ThreadQuery,
        cacheable=True,
        responses={
            200: (
                "A page of the thread; count 0 and no entries before its first comment.",
                shapes.Thread,
            ),
            400: ("The URL is on no registered site, or no web URL.", shapes.Error),
            404: ("No such page of comments.", shapes.Error),
            503: _ERROR,
        },
    )
)
def thread():
    """A page of the thread of a page URL, and what its comment form needs.

    Shared by every reader and cacheable, unless `own` lists pending entries of the
    reader's: then they are drawn where they will stand, and the answer is private.
    """
    url = _url_argument()
    page = rendering.comment_page(request.args.get("page"))  # 404 unless N ≥ 1
    session = db.get_session()
    post, settings, thread_version = revalidation.recent(
        ("api thread", url), lambda: _thread_now(session, url)
    )
    base = site.base_url()  # in every address drawn; 503 while it is unknown
    now = time.time()
    comment_form = shapes.form(form_stamp(_secret(), now, url), settings.thread_depth)
    if post is None:  # the first comment makes the thread, not a read
        return _no_thread(session, url, page, comment_form, now)
    own_ids = reader_token.entry_ids(_secret(), request.args.get("own"), now)
    comments_open = policy.is_open(post, EntryType.COMMENT, settings.close_after_days, utcnow())
    if own_ids:
        own = _thread_json(post, url, own_ids, page, settings, comments_open, comment_form)
        return caching.private(Response(own, mimetype="application/json"))
    version = (
        thread_version,
        (page, comments_open, settings.comments_per_page, settings.thread_depth),
        (base, post.title, post.url),
        intake.stamp_era(),
    )
    unchanged = caching.not_modified(version)
    if unchanged is not None:
        return unchanged
    # Kept whole for every reader, but for the form's stamp: each gets one made now.
    cache, key = fragments.cache(), ("api page", post.id, page)
    kept = cache.get(key, version)
    if kept is None:
        marked = shapes.form(_STAMP_MARK, settings.thread_depth)
        kept = _thread_json(post, url, set(), page, settings, comments_open, marked)
        cache.put(key, version, kept, sys.getsizeof(kept))
    fresh = kept.replace(_STAMP_MARK, comment_form["stamp"])
    return caching.public(Response(fresh, mimetype="application/json"), version)


def _thread_now(session, url: str) -> tuple:
    """The post of `url`'s thread (None before its first comment), the settings, and the
    thread's version, as the database has them now: what decides the thread's answer."""
    post = sites.find_thread(session, url)
    settings = discussion.load(session)
    return post, settings, post and threads.thread_version(session, post)


def _thread_json(
    post, url: str, own_ids: set[int], page: int, settings, comments_open: bool, form
) -> str:
    """A page of the thread as the API answers it, with the reader's own pending entries
    where they will stand."""
    thread = threads.post_thread(
        db.get_session(), post, own_ids, _secret().encode(), page, settings, comments_open
    )
    drawer = _drawer()
    body: shapes.Thread = {
        "url": post.url or url,
        "title": post.title,
        "count": thread.approved_count,
        "open": comments_open,
        "page": thread.page,
        "pages": thread.pages,
        "entries": drawer.entries(shapes.top_level(thread.entries)),
        "reactions": drawer.entries(thread.reactions),
        "form": form,
        "feed": _feed_url(post),
    }
    return current_app.json.dumps(body)


def _feed_url(post) -> str:
    """The Atom feed of a page's thread (of our own post's page, for one of ours)."""
    if post.url:
        return site.absolute_url("feeds.thread_comments", url=post.url)
    return site.absolute_url("feeds.post_comments", slug=post.slug)


def _no_thread(session, url: str, page: int, form: shapes.Form, now: float) -> Response:
    """The answer for a page of a registered site that has no thread yet."""
    if page != 1:
        raise errors.NotFound("There is no such page of comments.")
    registered = sites.site_for(session, url)
    canonical = canonical_url(url, keep_query=bool(registered and registered.keep_query))
    title = " ".join(request.args.get("title", "").split())[:TITLE_MAX_CHARS]
    version = ("no thread", canonical, title, form["thread_depth"], intake.stamp_era())
    response = caching.public(Response(mimetype="application/json"), version)
    if response.status_code == 200:
        body: shapes.Thread = {
            "url": canonical,
            "title": title,
            "count": 0,
            "open": True,
            "page": 1,
            "pages": 1,
            "entries": [],
            "reactions": [],
            "form": form,
            "feed": None,
        }
        response.set_data(current_app.json.dumps(body))
    return response


@bp.get("/counts")
@documented(
    Operation(
        query=shapes.CountsQuery,
        cacheable=True,
        responses={
            200: ("The approved count of each page's thread.", shapes.Counts),
            400: ("Too many URLs.", shapes.Error),
        },
    )
)
def counts():
    """The approved counts of many pages' threads, in one request."""
    wanted = list(dict.fromkeys(request.args.getlist("url")))
    if len(wanted) > MAX_COUNT_URLS:
        raise errors.Refused(TOO_MANY_URLS, "url")
    found = thread_counts.approved_counts(db.get_session(), wanted)
    body: shapes.Counts = {"counts": found}
    return caching.public(jsonify(body), sorted(found.items()))


@bp.post("/comments")
@documented(
    Operation(
        body=shapes.CommentRequest,
        form_body=True,
        responses={
            201: ("Stored, with the status the Discussion rules gave it.", shapes.CommentCreated),
            400: (
                "Field errors (the HTML form's messages), or an error: a URL on no "
                "registered site, a missing, forged or too old stamp.",
                shapes.FieldErrors | shapes.Error,
            ),
            403: ("Comments are closed, or the Origin is not allowed.", shapes.Error),
            409: ("The same comment was sent before.", shapes.Error),
            413: ("The body is too large.", shapes.Error),
            429: (
                "Too many comments from this address (the flood rule or COMMENT_RATE_LIMIT).",
                shapes.Error,
            ),
            503: _ERROR,
        },
    )
)
def create_comment():
    """Take a reader's comment through the comment form's checks, and hold it as the
    Discussion rules say; its thread is made by its first comment.

    The answer's token lists the reader's own pending entries (those of `own` too): sent
    back as `own`, it shows them to their author alone for ten minutes.
    """
    data = _body()
    url = (_text(data, "url") or "").strip()
    if not url:
        raise errors.Refused(NO_URL, "url")
    session = db.get_session()
    post = sites.find_thread(session, url)  # Refused (400) off every registered site
    drawer = _drawer()  # before anything is stored: 503 while our address is unknown
    form = CommentForm(meta={"csrf": False}, formdata=_form_data(data))

    def thread_slug() -> str:
        """The thread, made once the comment has passed the form's checks (a refused one
        leaves none: nothing is committed)."""
        nonlocal post
        post = sites.thread_for(session, url, _text(data, "title") or "")  # or finds it
        return post.slug

    def again(status: int, notice: str = "") -> Response:
        """Why not: a notice as an error, else the messages beside their fields."""
        return shapes.error(notice, status) if notice else shapes.field_errors(form.errors)

    # The HTML form's own path: the stamp's age, COMMENT_RATE_LIMIT (one budget per
    # address with the form), the flood rule, the Discussion rules; no one is exempt,
    # moderators included: the API knows no one.
    stored = intake.take_comment(form, url, thread_slug, again, exempt=lambda: False)
    if isinstance(stored, Response):
        return stored
    now = time.time()
    shown = threads.authors_entries(session, post, [stored.id], _secret().encode(), False)
    status = (Status.PENDING if shown[0].pending else Status.APPROVED) if shown else Status.SPAM
    pending = [stored.id] if status == Status.PENDING else []
    body: shapes.CommentCreated = {
        "id": stored.id,
        "status": status,
        "token": reader_token.issue(_secret(), _text(data, "own"), pending, now),
        "entry": drawer.entry(shown[0]) if shown else None,
        "page": stored.page,
    }
    return caching.private(jsonify(body)), 201


@bp.post("/preview")
@documented(
    Operation(
        body=shapes.PreviewRequest,
        form_body=True,
        responses={
            200: ("The comment as it would be shown.", shapes.Preview),
            400: (
                "The comment breaks a field rule (the HTML form's message).",
                shapes.FieldErrors,
            ),
            403: ("The Origin is not allowed.", shapes.Error),
            413: ("The body is too large.", shapes.Error),
            429: ("Too many previews from this address (PREVIEW_RATE_LIMIT).", shapes.Error),
        },
    )
)
def preview():
    """The comment as the sanitiser would store it, for the reader to check."""
    limit = current_app.config["PREVIEW_RATE_LIMIT"]
    if not ratelimit.admit(limit, ("preview", request.remote_addr or "")):
        return shapes.error(TOO_MANY_PREVIEWS, 429)
    form = CommentForm(meta={"csrf": False}, formdata=_form_data(_body()))
    text = form.comment
    if text.data and not text.validate(form):
        return shapes.field_errors({"comment": text.errors})
    body: shapes.Preview = {"html": sanitize.comment_html(text.data) if text.data else ""}
    return caching.private(jsonify(body))


@bp.get("/own")
@documented(
    Operation(
        query=shapes.OwnQuery,
        responses={
            200: ("The reader's own pending entries on the thread.", shapes.OwnEntries),
            400: ("The URL is on no registered site, or no web URL.", shapes.Error),
            503: _ERROR,
        },
    )
)
def own_entries():
    """The entries the token's holder sent to a page's thread in the last ten minutes
    that still await moderation. Private: never cached."""
    url = _url_argument()
    ids = reader_token.entry_ids(_secret(), request.args.get("token"), time.time())
    session = db.get_session()
    post = sites.find_thread(session, url)
    drawer = _drawer()
    found = [] if post is None else threads.authors_entries(session, post, ids, _secret().encode())
    body: shapes.OwnEntries = {"entries": drawer.entries(found)}
    return caching.private(jsonify(body))


@bp.get("/openapi.json")
@documented(Operation(cacheable=True, responses={200: ("The document.", dict[str, Any])}))
def openapi_document():
    """This API's OpenAPI 3.1 document."""
    spec = document(current_app, bp.name, TITLE, VERSION, DESCRIPTION)
    return caching.public(jsonify(spec), spec)


# Errors, as JSON.


@bp.errorhandler(errors.ServiceError)
def service_error(error: errors.ServiceError):
    """A domain error: its message, with the status it stands for."""
    status = next((code for kind, code in ERROR_STATUS.items() if isinstance(error, kind)), 400)
    return shapes.error(error.message, status)


@bp.errorhandler(site.NoOwnAddress)
def no_own_address(error: site.NoOwnAddress):
    """Avatars and feeds are absolute URLs of ours: unknown, the answer cannot be drawn."""
    return shapes.error(error.message, 503)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """An HTTP error raised in a view (413 for a body over MAX_CONTENT_LENGTH), as JSON."""
    return shapes.error(error.description or error.name, error.code or 500)


@bp.errorhandler(Exception)
def unexpected(error: Exception):
    """A bug: logged, and answered as JSON, never with a trace."""
    current_app.logger.exception("unhandled error in the API")
    return shapes.error("Something went wrong. Please try again in a moment.", 500)


# Reading the request.


def _secret() -> str:
    """The app's secret: it signs stamps and tokens, and keys the avatars."""
    return current_app.config["SECRET_KEY"]


def _drawer() -> shapes.EntryDrawer:
    """Entries drawn with absolute addresses of ours; NoOwnAddress while it is unknown."""
    return shapes.EntryDrawer(
        avatars=site.absolute_url("public.avatar", name="_").removesuffix("_.svg"),
        photos=site.absolute_url("public.photo", key="_").removesuffix("_"),
    )


def _url_argument() -> str:
    """The page's address, ?url=; Refused (400) without one."""
    value = request.args.get("url", "").strip()
    if not value:
        raise errors.Refused(NO_URL, "url")
    return value


def _body() -> dict[str, Any]:
    """The request's JSON object, or its form fields."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise errors.Refused(NOT_AN_OBJECT)
        return data
    return request.form.to_dict()


def _text(data: dict[str, Any], key: str) -> str | None:
    """A body's value as a form would have sent it: text, or a number as text."""
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) else None


def _form_data(data: dict[str, Any]) -> MultiDict:
    """The body as the comment form's fields; `notify` ticks the box only when it says
    true (JSON true, or "true" form-encoded): no one is mailed who did not ask."""
    fields = ((field, _text(data, key)) for key, field in FORM_FIELDS.items())
    form = MultiDict([(field, value) for field, value in fields if value is not None])
    if data.get("notify") is True or data.get("notify") == "true":
        form["notify"] = "y"
    return form
