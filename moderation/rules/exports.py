"""What an export writes (issue 15), whatever the format: each post, then its entries, as
services/exporting.py reads them in batches; and the JSON Lines format.

JSON Lines: one object per line, a post's line (`"kind": "post"`) before its entries'
(`"kind": "entry"`), dates in ISO 8601 UTC. An administrator's export: emails included.
"""

import json
from dataclasses import dataclass, fields
from datetime import datetime

from moderation.rules.statuses import EntryType, ImportSystem, MentionKind, Status


@dataclass(frozen=True)
class ExportedPost:
    """A post of ours, or the thread of a page elsewhere (a registered site's, or --url)."""

    id: int
    slug: str
    title: str
    url: str  # its public address: our permalink, or the page's own URL
    site: str | None  # the origin of the registered site that holds it
    body: str  # our own post's HTML; a page elsewhere has none
    comments_open: bool
    pings_open: bool
    created: datetime


@dataclass(frozen=True)
class ExportedEntry:
    """A comment or linkback, every field a round trip needs; the body as typed."""

    id: int
    post_id: int
    parent_id: int | None
    type: EntryType
    status: Status
    reason: str
    author: str
    email: str
    website: str
    ip_address: str
    user_agent: str
    body: str
    body_html: str
    source_url: str | None
    source_title: str | None
    mention_kind: MentionKind | None
    published: datetime | None
    created: datetime
    origin: ImportSystem | None  # where an imported entry came from, and its id there
    origin_id: str | None


def jsonl_line(record: ExportedPost | ExportedEntry) -> str:
    """One line of the JSON Lines export, newline included."""
    kind = "post" if isinstance(record, ExportedPost) else "entry"
    # Not asdict(), which deep-copies every value: this runs once per entry.
    line = {"kind": kind, **{name: _json(getattr(record, name)) for name in _FIELDS[kind]}}
    return json.dumps(line, ensure_ascii=False) + "\n"


_FIELDS = {
    "post": [each.name for each in fields(ExportedPost)],
    "entry": [each.name for each in fields(ExportedEntry)],
}


def _json(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()  # UTC: the columns hold nothing else
    return value  # StrEnum members are str: json writes their value
