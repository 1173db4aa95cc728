"""The linkback receivers: protocols, not forms, so the one CSRF-exempt blueprint (SPEC §3
(Security headers)).

Each receiver has one shape: check, record, and verify (during the request for a
pingback, by the job queue for a webmention or a trackback). The services raise domain
errors; this module alone answers them in each protocol's terms: a Pingback 1.0 fault
code, a webmention's HTTP status, a TrackBack <error>1</error>.
"""

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from moderation.infra import db, fetch, ratelimit
from moderation.infra.models import Post
from moderation.rules import errors, trackback, xmlrpc
from moderation.rules.urls import OwnSite, hostname
from moderation.services import discussion, posts
from moderation.services.linkbacks import mentions, pingback, recording, webmention
from moderation.services.linkbacks import trackback as trackbacks
from moderation.web import site

MAX_BODY_BYTES = 64 * 1024  # SPEC §3 (Security headers): receivers' bodies, 413 beyond
METHODS = ["pingback.ping", "pingback.extensions.getPingbacks", "system.listMethods"]

# The fault codes of the Pingback 1.0 specification (SPEC §3 (Linkbacks): 0 where none
# fits).
GENERIC = 0
SOURCE_NOT_FOUND = 0x10
NO_LINK = 0x11
TARGET_DOES_NOT_EXIST = 0x20
TARGET_NOT_USABLE = 0x21
ALREADY_REGISTERED = 0x30
ACCESS_DENIED = 0x31
# The domain error each code answers; GENERIC for any other.
FAULT_CODES = (
    (errors.SourceUnreachable, SOURCE_NOT_FOUND),
    (errors.NoLink, NO_LINK),
    (errors.MissingTarget, TARGET_DOES_NOT_EXIST),
    (errors.ForeignTarget, TARGET_NOT_USABLE),
    (errors.Closed, TARGET_NOT_USABLE),
    (errors.AlreadyRegistered, ALREADY_REGISTERED),
    (errors.Flooding, ACCESS_DENIED),
)

bp = Blueprint("linkback", __name__)


@bp.post("/xmlrpc")
def xmlrpc_endpoint():
    """Answer an XML-RPC call: pingback.ping, getPingbacks or listMethods."""
    body = _capped_body()
    try:
        result = _dispatch(xmlrpc.parse_call(body))
    except errors.ServiceError as error:
        return _fault(xmlrpc.Fault(_fault_code(error), error.message))
    except xmlrpc.Fault as fault:
        return _fault(fault)
    return _xml(xmlrpc.response(result))


def _fault_code(error: errors.ServiceError) -> int:
    """The Pingback 1.0 fault code that answers a domain error."""
    return next((code for kind, code in FAULT_CODES if isinstance(error, kind)), GENERIC)


def _dispatch(call: xmlrpc.Call):
    if call.method not in METHODS:
        raise xmlrpc.Fault(xmlrpc.UNKNOWN_METHOD, f"The method {call.method!r} is not offered.")
    if call.method == "system.listMethods":
        _expect_strings(call, 0)
        return METHODS
    session = db.get_session()
    if call.method == "pingback.extensions.getPingbacks":
        (target,) = _expect_strings(call, 1)
        return pingback.approved_sources(session, pingback.target_post(session, _site(), target))
    source, target = _expect_strings(call, 2)
    if _over_rate_limit(source):
        raise xmlrpc.Fault(
            ACCESS_DENIED, "Too many pingbacks from this address or source; try later."
        )
    limits = fetch.Limits.from_config(current_app.config)
    try:
        answer = pingback.ping(
            session, _site(), limits, source.strip(), target.strip(), _caller(), _flood_seconds()
        )
        session.commit()
    except IntegrityError:  # the same pingback, registered by a request running alongside
        raise errors.AlreadyRegistered(pingback.REGISTERED) from None
    return answer


def _expect_strings(call: xmlrpc.Call, count: int) -> list[str]:
    if len(call.params) != count or not all(isinstance(param, str) for param in call.params):
        raise xmlrpc.Fault(xmlrpc.WRONG_PARAMS, f"{call.method} takes {count} string parameter(s).")
    return call.params


@bp.post("/webmention")
def receive_webmention():
    """Take a webmention: checked now, recorded, answered 201; verified by a job (SPEC §3
    (Linkbacks))."""
    request.max_content_length = MAX_BODY_BYTES
    source = request.form.get("source", "").strip()
    target = request.form.get("target", "").strip()
    if _over_rate_limit(source):
        return _text("Too many webmentions from this address or source; try again later.", 429)
    session = db.get_session()
    try:
        post = webmention.check(session, _site(), source, target)
        mention = webmention.record(session, post, source, target, _caller(), _flood_seconds())
    except errors.ServiceError as error:
        return _text(error.message, 429 if isinstance(error, errors.Flooding) else 400)
    session.commit()
    status_url = site.absolute_url("linkback.webmention_status", token=mention.token)
    response = _text(f"Accepted. Where it stands: {status_url}", 201)
    response.headers["Location"] = status_url
    return response


@bp.get("/webmention/<token>")
def webmention_status(token: str):
    """Tell a sender where its webmention stands: queued, verified, or rejected and why."""
    mention = mentions.find(db.get_session(), token)
    response = jsonify(
        status=mention.state.value,
        summary=mentions.status_text(mention),
        source=mention.source,
        target=mention.target,
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.post("/posts/<slug>/trackback")
def receive_trackback(slug: str):
    """Take a TrackBack 1.2 ping: checked, recorded at once, its source verified by a job."""
    body = _capped_body()
    session = db.get_session()
    try:
        post = posts.get_post(session, slug)
        ping = trackback.parse_ping(body, request.content_type or "")
        settings = discussion.load(session)
        trackbacks.check(post, ping, settings)
        # Counted once the ping could be taken, before the checks that depend on the caller.
        if _over_rate_limit(ping.url):
            return _trackback_answer("Too many trackbacks from this address or source.", 429)
        trackbacks.record(
            session, post, ping, settings, _post_url(post), _caller(), _flood_seconds()
        )
        session.commit()
    except IntegrityError:  # the same trackback, registered by a request running alongside
        return _trackback_answer(trackbacks.REGISTERED)
    except trackback.TrackbackError as error:
        return _trackback_answer(str(error))
    except errors.ServiceError as error:
        return _trackback_answer(error.message, _trackback_status(error))
    return _trackback_answer(None)


@bp.errorhandler(site.NoOwnAddress)
def no_own_address(error: site.NoOwnAddress) -> Response:
    """Refuse in the receiver's own protocol while the site does not know its own address
    (README, "The site's own address"): a fault, an <error>1</error>, or a 503."""
    if request.endpoint == "linkback.xmlrpc_endpoint":
        return _fault(xmlrpc.Fault(GENERIC, error.message))  # faults come in a 200
    if request.endpoint == "linkback.receive_trackback":
        return _trackback_answer(error.message, 503)
    return _text(error.message, 503)


def _trackback_status(error: errors.ServiceError) -> int:
    """TrackBack 1.2 answers in 200; we add 404 for no such post, 429 for flooding."""
    if isinstance(error, errors.NotFound):
        return 404
    return 429 if isinstance(error, errors.Flooding) else 200


def _capped_body() -> bytes:
    request.max_content_length = MAX_BODY_BYTES
    return request.get_data(cache=False)  # 413 past the cap


def _caller() -> recording.Caller:
    return recording.Caller(request.remote_addr or "", request.user_agent.string)


def _flood_seconds() -> int:
    return current_app.config["COMMENT_FLOOD_SECONDS"]


def _over_rate_limit(source: str) -> bool:
    """Past LINKBACK_RATE_LIMIT per caller IP or per source host, each request counted
    (README, "Webmention and TrackBack": the three receivers share the limit)."""
    address = request.remote_addr or ""
    counters = (("linkback-caller", address), ("linkback-source", hostname(source)))
    return not ratelimit.admit(current_app.config["LINKBACK_RATE_LIMIT"], *counters)


def _post_url(post: Post) -> str:
    """The post's public address: what a trackback's source must link to."""
    return post.url or site.absolute_url("public.post", slug=post.slug)


def _fault(fault: xmlrpc.Fault) -> Response:
    db.get_session().rollback()
    return _xml(xmlrpc.fault_response(fault))


def _text(message: str, status: int) -> Response:
    return Response(message + "\n", status, content_type="text/plain; charset=utf-8")


def _trackback_answer(error: str | None, status: int = 200) -> Response:
    return Response(trackback.response(error), status, content_type="text/xml; charset=utf-8")


def _site() -> OwnSite:
    return OwnSite(site.base_url())


def _xml(body: bytes) -> Response:
    return Response(body, 200, content_type="text/xml; charset=utf-8")
