"""The linkback receivers: protocols, not forms, so the one CSRF-exempt blueprint (§3)."""

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import IntegrityError

from .. import db, fetch, ratelimit, site
from . import pingback, xmlrpc
from .targets import Site, hostname

MAX_BODY_BYTES = 64 * 1024  # §3: linkback request bodies, 413 beyond
METHODS = ["pingback.ping", "pingback.extensions.getPingbacks", "system.listMethods"]

bp = Blueprint("linkback", __name__)


@bp.post("/xmlrpc")
def xmlrpc_endpoint():
    """Answer an XML-RPC call: pingback.ping, getPingbacks or listMethods."""
    request.max_content_length = MAX_BODY_BYTES
    body = request.get_data(cache=False)  # 413 past the cap
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
    _check_rate(source)
    caller = pingback.Caller(request.remote_addr or "", request.user_agent.string)
    limits = fetch.Limits.from_config(current_app.config)
    try:
        answer = pingback.ping(session, _site(), limits, source.strip(), target.strip(), caller)
        session.commit()
    except IntegrityError:  # the same pingback, registered by a request running alongside
        raise xmlrpc.Fault(pingback.ALREADY_REGISTERED, pingback.REGISTERED) from None
    return answer


def _expect_strings(call: xmlrpc.Call, count: int) -> list[str]:
    if len(call.params) != count or not all(isinstance(param, str) for param in call.params):
        raise xmlrpc.Fault(xmlrpc.WRONG_PARAMS, f"{call.method} takes {count} string parameter(s).")
    return call.params


def _check_rate(source: str) -> None:
    """Fault 49 past the limit per caller IP or per source host (counted for every ping)."""
    limit = current_app.config["LINKBACK_RATE_LIMIT"]
    counted = [
        ("linkback-caller", request.remote_addr or ""),
        ("linkback-source", hostname(source)),
    ]
    if any(ratelimit.over_limit(limit, scope, key) for scope, key in counted):
        raise xmlrpc.Fault(
            pingback.ACCESS_DENIED, "Too many pingbacks from this address or source; try later."
        )
    for scope, key in counted:
        ratelimit.hit(limit, scope, key)


def _site() -> Site:
    return Site(site.base_url())


def _xml(body: bytes) -> Response:
    return Response(body, 200, content_type="text/xml; charset=utf-8")
