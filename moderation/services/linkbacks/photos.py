"""Author photos of webmentions: fetched once with the safe fetcher and served by us,
so that readers' browsers never call a third party (and CSP stays 'self')."""

import dataclasses
import hashlib

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from moderation.infra import fetch
from moderation.infra.models import Entry, Photo
from moderation.rules.statuses import Status

MAX_BYTES = 512 * 1024
# What the declared type must start with: no SVG (it can carry script), nothing sniffed.
SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def store(session: Session, url: str, limits: fetch.Limits, user_agent: str) -> str | None:
    """Fetch a photo and keep it by the hash of its bytes; None when it is not a usable image."""
    limits = dataclasses.replace(limits, max_bytes=min(limits.max_bytes, MAX_BYTES))
    try:
        page = fetch.fetch(url, limits, user_agent=user_agent)
    except fetch.FetchError:
        return None
    signatures = SIGNATURES.get(page.media_type)
    if page.status != 200 or page.truncated or not signatures:
        return None
    if not page.body.startswith(signatures):
        return None
    if page.media_type == "image/webp" and page.body[8:12] != b"WEBP":
        return None
    key = hashlib.sha256(page.body).hexdigest()
    if session.scalar(select(Photo.key).where(Photo.key == key)) is None:
        session.add(Photo(key=key, media_type=page.media_type, data=page.body))
        session.flush()
    return key


def find(session: Session, key: str) -> Photo | None:
    """The photo of an approved entry: pending, spam and trash show nothing to readers."""
    shown = select(Entry.id).where(Entry.author_photo == key, Entry.status == Status.APPROVED)
    return session.scalar(select(Photo).where(Photo.key == key, shown.exists()))


def remove_unused(session: Session) -> int:
    """Delete the photos that no entry holds any more; return how many.

    Call it after deleting entries, or changing an entry's photo, in the same session.
    """
    used = select(Entry.id).where(Entry.author_photo == Photo.key)
    return session.execute(
        delete(Photo).where(~used.exists()).execution_options(synchronize_session=False)
    ).rowcount
