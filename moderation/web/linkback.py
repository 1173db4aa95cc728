"""The linkback receivers: protocols, not forms, so the one CSRF-exempt blueprint (§3)."""

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from moderation.infra import db, fetch, ratelimit
from moderation.infra.models import Post, utcnow
from moderation.rules import errors, policy, trackback, xmlrpc
from moderation.rules.errors import NO_POST
from moderation.rules.statuses import EntryType
from moderation.rules.urls import Site, hostname, is_web_url, without_fragment
from moderation.services import discussion, posts
from moderation.services.linkbacks import mentions, pingback, recording, webmention
from moderation.web import site

MAX_BODY_BYTES = 64 * 1024  # §3: linkback request bodies, 413 beyond
METHODS = ["pingback.ping", "pingback.extensions.getPingbacks", "system.listMethods"]

bp = Blueprint("linkback", __name__)


@bp.post("/xmlrpc")
def xmlrpc_endpoint():
    """Answer an XML-RPC call: pingback.ping, getPingbacks or listMethods."""
    body = _capped_body()
    try:
        result = _dispatch(xmlrpc.parse_call(body))
    except xmlrpc.Fault as fault:
        db.get_session().rollback()
        return _xml(xmlrpc.fault_response(fault))
    return _xml(xmlrpc.response(result))


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
            pingback.ACCESS_DENIED, "Too many pingbacks from this address or source; try later."
        )
    config = current_app.config
    limits = fetch.Limits.from_config(config)
    try:
        answer = pingback.ping(
            session,
            _site(),
            limits,
            source.strip(),
            target.strip(),
            _caller(),
            config["COMMENT_FLOOD_SECONDS"],
        )
        session.commit()
    except IntegrityError:  # the same pingback, registered by a request running alongside
        raise xmlrpc.Fault(pingback.ALREADY_REGISTERED, pingback.REGISTERED) from None
    return answer


def _expect_strings(call: xmlrpc.Call, count: int) -> list[str]:
    if len(call.params) != count or not all(isinstance(param, str) for param in call.params):
        raise xmlrpc.Fault(xmlrpc.WRONG_PARAMS, f"{call.method} takes {count} string parameter(s).")
    return call.params


@bp.post("/webmention")
def receive_webmention():
    """Take a webmention: checked now, recorded, answered 201; verified by a job (§3)."""
    request.max_content_length = MAX_BODY_BYTES
    source = request.form.get("source", "").strip()
    target = request.form.get("target", "").strip()
    if _over_rate_limit(source):
        return _text("Too many webmentions from this address or source; try again later.", 429)
    session = db.get_session()
    try:
        post = webmention.check_request(session, _site(), source, target)
    except errors.Refused as refused:
        return _text(refused.message, 400)
    source = without_fragment(source)
    if _flooding(post, source):
        return _text("Too many webmentions from this address to this post; try again later.", 429)
    mention = mentions.record(session, post, EntryType.WEBMENTION, source, target, _caller())
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
    """Take a TrackBack 1.2 ping: queued at once, its source verified by a job."""
    body = _capped_body()
    session = db.get_session()
    try:
        post = posts.get_post(session, slug)
    except errors.NotFound:
        return _trackback_answer(NO_POST, 404)
    try:
        ping = trackback.parse_ping(body, request.content_type or "")
    except trackback.TrackbackError as error:
        return _trackback_answer(str(error))
    if not is_web_url(ping.url):
        return _trackback_answer("The url parameter must be an absolute http or https URL.")
    settings = discussion.load(session)
    if not policy.is_open(post, EntryType.TRACKBACK, settings.close_after_days, utcnow()):
        return _trackback_answer("Sorry, trackbacks are closed for this item.")
    if _over_rate_limit(ping.url):
        return _trackback_answer("Too many trackbacks from this address or source.", 429)
    source = without_fragment(ping.url)
    if pingback.is_registered(session, post, source, EntryType.TRACKBACK):
        return _trackback_answer("We already have a ping from that URL for this post.")
    if _flooding(post, source):
        return _trackback_answer("Too many trackbacks from this address to this post.", 429)
    target = post.url or site.absolute_url("public.post", slug=post.slug)
    try:
        mentions.receive_trackback(session, post, settings, source, target, _caller(), ping)
        session.commit()
    except IntegrityError:  # the same trackback, registered by a request running alongside
        return _trackback_answer("We already have a ping from that URL for this post.")
    return _trackback_answer(None)


def _capped_body() -> bytes:
    request.max_content_length = MAX_BODY_BYTES
    return request.get_data(cache=False)  # 413 past the cap


def _caller() -> pingback.Caller:
    return pingback.Caller(request.remote_addr or "", request.user_agent.string)


def _over_rate_limit(source: str) -> bool:
    """Past LINKBACK_RATE_LIMIT per caller IP or per source host, each request counted
    (§3 abuse limits)."""
    address = request.remote_addr or ""
    counters = (("linkback-caller", address), ("linkback-source", hostname(source)))
    return not ratelimit.admit(current_app.config["LINKBACK_RATE_LIMIT"], *counters)


def _flooding(post: Post, source: str) -> bool:
    """Sooner than COMMENT_FLOOD_SECONDS after this IP's last linkback to this post from
    another source (§6)."""
    return recording.linkback_flooding(
        db.get_session(),
        post,
        source,
        request.remote_addr or "",
        current_app.config["COMMENT_FLOOD_SECONDS"],
    )


def _text(message: str, status: int) -> Response:
    return Response(message + "\n", status, content_type="text/plain; charset=utf-8")


def _trackback_answer(error: str | None, status: int = 200) -> Response:
    return Response(trackback.response(error), status, content_type="text/xml; charset=utf-8")


def _site() -> Site:
    return Site(site.base_url())


def _xml(body: bytes) -> Response:
    return Response(body, 200, content_type="text/xml; charset=utf-8")
