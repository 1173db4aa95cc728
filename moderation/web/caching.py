"""Answers that a CDN or a reverse proxy may keep: the public reads of a thread (its JSON,
its feed, its frame, the counts, embed.js) for a reader with no pending comment.

Each carries a weak ETag drawn from what it shows (a thread's version, say), answers 304
to a matching If-None-Match, and says `Cache-Control: public` for PAGE_MAX_AGE seconds,
so a moderator's change shows on the next request after that. A reader who has a pending
comment of their own gets `private, no-store` instead (SPEC §3, the author's own pending
comment).
"""

import hashlib

from flask import Response, current_app, request


def public(response: Response, version: object) -> Response:
    """Mark a read as shared by every reader, tagged by `version`; 304 when the client has
    it already."""
    response.set_etag(hashlib.sha256(repr(version).encode()).hexdigest()[:32], weak=True)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["PAGE_MAX_AGE"]
    return response.make_conditional(request)


def private(response: Response) -> Response:
    """Mark a read that shows this reader's own pending entries: kept by no one."""
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response
