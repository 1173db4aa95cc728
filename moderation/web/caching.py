"""Answers that a CDN or a reverse proxy may keep: the public reads (a post's page, a
thread's JSON, its feed, its frame, the counts, embed.js) for a reader with no pending
comment.

Each carries a weak ETag drawn from what it shows (a thread's version, say, and the
release and settings that draw it), answers 304 to a matching If-None-Match, and says
`Cache-Control: public` with `max-age` and `s-maxage` of PAGE_MAX_AGE seconds, so a
moderator's change shows on the next request after that. A reader who has a pending
comment of their own gets `private, no-store` instead (SPEC §3, the author's own
pending comment).
"""

import hashlib
from importlib import metadata

from flask import Response, current_app, request

# Pages drawn by another release differ: a copy kept from before an upgrade is not fresh.
RELEASE = metadata.version("moderation")


def public(response: Response, version: object, *, reads_cookies: bool = False) -> Response:
    """Mark a read as shared by every reader, tagged by `version`; 304 when the client has
    it already. `reads_cookies`: a reader with our cookies gets a page of their own (their
    pending comment, their details), so neither a CDN nor the browser's own cache may
    answer them with the shared copy (`Vary: Cookie`)."""
    response.set_etag(_tag(version), weak=True)
    _shared(response, reads_cookies)
    return response.make_conditional(request)


def not_modified(version: object, *, reads_cookies: bool = False) -> Response | None:
    """The 304 for a client whose copy is of `version`, answered before anything is
    drawn; None when it has none."""
    tag = _tag(version)
    if not request.if_none_match.contains_weak(tag):
        return None
    response = Response(status=304)
    response.set_etag(tag, weak=True)
    return _shared(response, reads_cookies)


def private(response: Response) -> Response:
    """Mark a read that shows this reader's own pending entries: kept by no one."""
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def _tag(version: object) -> str:
    return hashlib.sha256(repr((RELEASE, version)).encode()).hexdigest()[:32]


def _shared(response: Response, reads_cookies: bool) -> Response:
    if reads_cookies:
        response.vary.add("Cookie")
    max_age = current_app.config["PAGE_MAX_AGE"]
    response.headers["Cache-Control"] = f"public, max-age={max_age}, s-maxage={max_age}"
    return response
