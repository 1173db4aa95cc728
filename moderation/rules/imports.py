"""What an import reads from another system's export (issue 15), whatever the system: its
threads and their entries, in the order the file holds them. The readers of each format
yield these; services/importing.py writes them."""

from dataclasses import dataclass
from datetime import datetime

from moderation.rules.statuses import EntryType, MentionKind, Status


class MalformedFile(ValueError):
    """The file cannot be read as the format it claims: nothing of it is written."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class ImportedThread:
    """A post or page of the other system, named by its public address."""

    key: str  # its id in the file, which its entries name
    url: str  # its public address: matched to a post, or to a page of a registered site
    title: str = ""
    created: datetime | None = None
    comments_open: bool = True
    pings_open: bool = True
    # Its slug and body (HTML) there: what one of our own posts, exported and imported
    # again, is made of.
    slug: str = ""
    body: str = ""


@dataclass(frozen=True)
class ImportedEntry:
    """A comment or linkback as the other system kept it; the body as it was written."""

    # Its id in that system (with its source where ids are numbered per blog or database:
    # `sourced`): with the system, what makes a second run skip it.
    origin_id: str
    thread_key: str
    type: EntryType
    status: Status
    author: str
    body: str  # as the file has it (often HTML): sanitised on the way in, kept beside
    created: datetime  # timezone-aware, UTC
    parent_id: str | None = None  # the parent's origin_id
    email: str = ""
    website: str = ""
    ip_address: str = ""
    user_agent: str = ""
    source_url: str | None = None  # a linkback's source page
    source_title: str | None = None
    # What our own export adds (WXR commentmeta), so that a round trip loses nothing.
    reason: str = ""
    mention_kind: MentionKind | None = None
    published: datetime | None = None


@dataclass(frozen=True)
class RefusedItem:
    """Something the file holds that cannot be imported, and why: counted and reported,
    while the rest of the file goes on."""

    origin_id: str
    reason: str
    line: int | None = None


Item = ImportedThread | ImportedEntry | RefusedItem


def sourced(source: str, original_id: str) -> str:
    """An id that every blog (or database) numbers from 1, made unique by the address of
    the blog it came from: https://blog.example#123."""
    return f"{source.strip().rstrip('/')}#{original_id}"
