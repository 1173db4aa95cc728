"""The reader's token of the JSON API: their own pending entries, signed.

The embed keeps it in the reader's localStorage, since a third-party cookie is blocked,
and sends it back as `own`. It plays the part of the own-entries cookie of the post page
(web/cookies.py), with the same rule: the author alone sees a pending entry, for ten
minutes (SPEC §3, the author's own pending comment). It lists ids and when each was sent,
never a name or an email.
"""

from collections.abc import Iterable
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer

from moderation.web.cookies import OWN_ENTRIES_KEPT, OWN_ENTRY_SECONDS

_SALT = "moderation.api-own-entries"  # a token is no cookie, nor any other signed value


@lru_cache(maxsize=16)
def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT)


def _live(secret: str, token: str | None, now: float) -> list[list[int]]:
    """The [id, sent] pairs of a token still within their ten minutes; none when the token
    is missing, forged or not ours."""
    if not token or len(token) > 4096:
        return []
    try:
        data = _serializer(secret).loads(token)
    except BadSignature:
        return []
    if not isinstance(data, list):
        return []
    pairs = (item for item in data if isinstance(item, list) and len(item) == 2)
    return [
        [entry_id, sent]
        for entry_id, sent in pairs
        if isinstance(entry_id, int) and isinstance(sent, int) and now - sent < OWN_ENTRY_SECONDS
    ]


def entry_ids(secret: str, token: str | None, now: float) -> set[int]:
    """The ids of the entries the token's holder sent in the last ten minutes."""
    return {entry_id for entry_id, _ in _live(secret, token, now)}


def issue(secret: str, previous: str | None, new_ids: Iterable[int], now: float) -> str:
    """A token listing `new_ids`, sent now, after the live entries of `previous`."""
    sent = int(now)
    kept = _live(secret, previous, now) + [[entry_id, sent] for entry_id in new_ids]
    return _serializer(secret).dumps(kept[-OWN_ENTRIES_KEPT:])
