"""The reader's own cookies: remembered details (opt-in) and their pending entries.

SPEC §3 (Comment fields): the email may live only in the commenter's own opt-in
"remember me" cookie, never in the signed session, which anyone holding it can read.

Inside another site's frame (issue 13, the embed frame) browsers block third-party
cookies: there the cookies are `partitioned` (CHIPS), kept by the browser for that
site's pages alone, which requires `Secure` and `SameSite=None`, so only behind https.
Over plain http (local tests) they are the usual Lax cookies.
"""

import time
from functools import lru_cache

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

COMMENTER_COOKIE = "comment_author"
COMMENTER_MAX_AGE = 365 * 24 * 3600
OWN_ENTRIES_COOKIE = "own_entries"
# SPEC §3 (The author's own pending comment): the author alone sees it for 10 minutes.
OWN_ENTRY_SECONDS = 600
OWN_ENTRIES_KEPT = 20


def _serializer(purpose: str) -> URLSafeSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"], purpose)


@lru_cache(maxsize=16)
def _serializer_for(secret: str, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"moderation.{purpose}")


def _set(
    response: Response, name: str, value: str, max_age: int, partitioned: bool = False
) -> None:
    partitioned = partitioned and request.is_secure
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="None" if partitioned else "Lax",
        secure=request.is_secure,
        partitioned=partitioned,
    )


def _load(name: str, purpose: str):
    raw = request.cookies.get(name)
    if not raw:
        return None
    try:
        return _serializer(purpose).loads(raw)
    except BadSignature:
        return None


def remember_commenter(
    response: Response, name: str, email: str, website: str, partitioned: bool = False
) -> None:
    value = _serializer("commenter").dumps({"name": name, "email": email, "website": website})
    _set(response, COMMENTER_COOKIE, value, COMMENTER_MAX_AGE, partitioned)


def forget_commenter(response: Response, partitioned: bool = False) -> None:
    if COMMENTER_COOKIE in request.cookies:
        if partitioned and request.is_secure:  # a partitioned cookie is deleted as one
            response.delete_cookie(
                COMMENTER_COOKIE, httponly=True, samesite="None", secure=True, partitioned=True
            )
        else:
            response.delete_cookie(COMMENTER_COOKIE, httponly=True, samesite="Lax")


def remembered_commenter() -> dict[str, str] | None:
    """The name, email and website the reader asked us to remember, if any."""
    data = _load(COMMENTER_COOKIE, "commenter")
    if not isinstance(data, dict):
        return None
    return {key: str(data.get(key, "")) for key in ("name", "email", "website")}


def _own_entries(now: float) -> list[list[int]]:
    data = _load(OWN_ENTRIES_COOKIE, "own-entries")
    if not isinstance(data, list):
        return []
    return [
        [entry_id, stamp]
        for entry_id, stamp in (item for item in data if isinstance(item, list) and len(item) == 2)
        if isinstance(entry_id, int) and isinstance(stamp, int) and now - stamp < OWN_ENTRY_SECONDS
    ]


def own_entry_ids() -> set[int]:
    """Ids of the entries this reader submitted in the last ten minutes."""
    return {entry_id for entry_id, _ in _own_entries(time.time())}


def remember_own_entry(response: Response, entry_id: int, partitioned: bool = False) -> None:
    now = int(time.time())
    kept = _own_entries(now)[-(OWN_ENTRIES_KEPT - 1) :] + [[entry_id, now]]
    value = _serializer("own-entries").dumps(kept)
    _set(response, OWN_ENTRIES_COOKIE, value, OWN_ENTRY_SECONDS, partitioned)
