"""CORS and the Origin check of the JSON API (issue 13).

A registered site's page may read the API's answers (`Access-Control-Allow-Origin`
with its origin, never credentials); every answer says `Vary: Origin`, since that header
changes it. A preflight is answered for those origins alone. A POST that names an Origin
other than a registered site's or ours is refused: with no session and no CSRF token
(web/security.py), that check and the signed form stamp are what guard the POSTs. A
request with no Origin at all comes from no browser page, and is let through.
"""

from flask import Blueprint, Response, request

from moderation.rules.urls import origin
from moderation.web import security, site
from moderation.web.api import shapes

PREFLIGHT_MAX_AGE = 600  # seconds a browser may keep a preflight's answer
FOREIGN_ORIGIN = "This page is not on a site that may send comments here."


def init_app(bp: Blueprint) -> None:
    """Answer preflights, check POSTs' Origin, and add the CORS headers, on `bp`."""
    bp.before_request(check_origin)
    bp.after_request(cors_headers)


def check_origin() -> Response | None:
    """Answer a preflight; refuse a POST from a page of neither a registered site nor ours."""
    sender = request.headers.get("Origin")
    if request.method == "OPTIONS":
        return _preflight(sender)
    if request.method == "POST" and sender is not None and not _may_post(sender):
        return shapes.error(FOREIGN_ORIGIN, 403)
    return None


def cors_headers(response: Response) -> Response:
    """Let a registered site's page read the answer, and say the answer depends on it."""
    response.vary.add("Origin")
    sender = request.headers.get("Origin")
    if sender is not None and _registered(sender):
        response.headers["Access-Control-Allow-Origin"] = sender
    return response


def _preflight(sender: str | None) -> Response:
    response = Response(status=204)
    response.vary.update(("Access-Control-Request-Method", "Access-Control-Request-Headers"))
    if sender is not None and _registered(sender):
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def _origin_of(value: str) -> str | None:
    try:
        return origin(value)
    except ValueError:  # "null" (a sandboxed frame, a file), or no URL at all
        return None


def _registered(sender: str) -> bool:
    """Whether the Origin is a registered site's (the sites are read once per request)."""
    return _origin_of(sender) in security.frame_origins()


def _may_post(sender: str) -> bool:
    """A registered site's page, or one of ours: SITE_URL, or the request's host when
    TRUSTED_HOSTS vouches for it (web/site.py), as the embed frame's check has it."""
    ours = [origin(site.base_url())] if site.known() else []
    return _origin_of(sender) in ours or _registered(sender)
