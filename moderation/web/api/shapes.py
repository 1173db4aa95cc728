"""What the JSON API (web/api.py) takes and answers: each body's shape, as typed
dictionaries the views fill and web/openapi.py turns into the OpenAPI document, and the
functions that draw a thread's entries in that shape.

Never an email, nor a hash of one (SPEC §3, Comment fields): an entry is drawn from a
threads.PublicEntry, which has no such field, and its avatar is the keyed identicon.
Every shape forbids fields it does not name, so the tests, which check each answer
against the document, would catch one that slipped in.
"""

from collections.abc import Iterable
from datetime import UTC
from typing import Annotated, Literal, NotRequired, Required

from flask import Response, jsonify
from pydantic import ConfigDict, Field, WithJsonSchema, with_config
from typing_extensions import TypedDict

from moderation.rules.limits import (
    COMMENT_MAX_BYTES,
    EMAIL_MAX_BYTES,
    NAME_MAX_BYTES,
    WEBSITE_MAX_BYTES,
)
from moderation.rules.statuses import EntryType, MentionKind, Status
from moderation.services.threads import REACTIONS, PublicEntry

# additionalProperties: false; the attribute docstrings describe the fields in the document.
CLOSED = ConfigDict(extra="forbid", use_attribute_docstrings=True)
DOCUMENTED = ConfigDict(use_attribute_docstrings=True)
DateTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Url = Annotated[str, WithJsonSchema({"type": "string", "format": "uri"})]
Label = Literal["Pingback", "Trackback", "Mention", "Bookmark"]
MAX_COUNT_URLS = 100  # URLs in one counts request


# The answers.


@with_config(CLOSED)
class Entry(TypedDict):
    """A comment or a linkback as readers see it; replies nested in `replies`."""

    id: int
    type: EntryType
    kind: MentionKind | None
    """A webmention's h-entry kind."""
    label: Label | None
    """How a linkback is introduced; null for comments and replies."""
    author: str
    website: str
    """The author's website, or a linkback's source; empty when there is none."""
    avatar: Url
    """An identicon of ours, keyed with the secret."""
    photo: Url | None
    """A webmention author's photo, fetched once and served by us."""
    html: str
    """Sanitised once at submission: the only field to insert as HTML."""
    created: DateTime
    """When it was sent, in UTC."""
    pending: bool
    """Awaiting moderation: shown to its author alone."""
    by_moderator: bool
    replyable: bool
    source: Url | None
    """A linkback's or a webmention reply's source page."""
    replies: list["Entry"]


@with_config(CLOSED)
class Limits(TypedDict):
    """The most UTF-8 bytes each field takes (SPEC §3, Comment fields)."""

    comment: int
    name: int
    email: int
    website: int


@with_config(CLOSED)
class Form(TypedDict):
    """What the comment form needs: the signed stamp of when it was shown (the time trap)."""

    stamp: str
    thread_depth: int
    """Replies nest at most this deep (1: no replies)."""
    limits: Limits


@with_config(CLOSED)
class Thread(TypedDict):
    """A page of the thread of a page URL: top-level entries with their replies nested."""

    url: Url
    """The canonical URL that names the thread."""
    title: str
    count: int
    """Approved entries of the whole thread ("N thoughts")."""
    open: bool
    """Whether the thread takes comments."""
    page: int
    pages: int
    entries: list[Entry]
    reactions: list[Entry]
    """Likes and reposts, shown as avatars."""
    form: Form
    feed: Url | None
    """The thread's Atom feed."""


@with_config(CLOSED)
class Counts(TypedDict):
    """Approved counts keyed by each URL as it was given; 0 for a page with no thread."""

    counts: dict[str, int]


@with_config(CLOSED)
class CommentCreated(TypedDict):
    """A comment stored with the status the Discussion rules gave it."""

    id: int
    status: Status
    token: str
    """The reader's own pending entries, signed: send it back as `own`."""
    entry: Entry | None
    """The entry as its author sees it; null when shown to no one."""
    page: int | None
    """The page of the thread that shows it."""


@with_config(CLOSED)
class Preview(TypedDict):
    html: str
    """The comment as it would be shown, sanitised."""


@with_config(CLOSED)
class OwnEntries(TypedDict):
    """The reader's own entries still pending on the thread (oldest first)."""

    entries: list[Entry]


@with_config(CLOSED)
class Error(TypedDict):
    error: str
    """Safe to show to the reader."""


@with_config(CLOSED)
class FieldErrors(TypedDict):
    """Messages by form field, the same as the HTML form's (web/forms.py CommentForm)."""

    errors: dict[str, list[str]]


# The requests: bodies, and query strings (each key a parameter).


@with_config(DOCUMENTED)
class CommentRequest(TypedDict, total=False):
    """A reader's comment; also taken form-encoded."""

    url: Required[str]
    """The page the comment is about: its thread is made on first use."""
    title: str
    """The page's title (the embed's data-title) while its own is not read yet."""
    comment: Required[str]
    name: Required[str]
    email: Required[str]
    """Required, and never shown to anyone but moderators."""
    website: str
    parent: int | str
    """The approved comment this one answers."""
    stamp: Required[str]
    """The `form.stamp` of the thread's answer."""
    homepage: str
    """The honeypot: people leave it empty."""
    own: str
    """The token a previous comment's answer gave."""
    notify: Annotated[bool, Field(default=False)]
    """The box "Notify me of replies and when my comment is published": the address is
    first mailed a link to confirm it, and nothing else until it is confirmed.
    Form-encoded: true or false."""


@with_config(DOCUMENTED)
class PreviewRequest(TypedDict):
    comment: str


@with_config(DOCUMENTED)
class ThreadQuery(TypedDict):
    url: str
    """The page's URL, as the embed sees it (data-url)."""
    page: NotRequired[int]
    """The page of comments, from 1."""
    title: NotRequired[str]
    """Used while the thread does not exist yet."""
    own: NotRequired[str]
    """The reader's token: their pending entries too, never cached."""


@with_config(DOCUMENTED)
class CountsQuery(TypedDict):
    url: Annotated[list[str], Field(max_length=MAX_COUNT_URLS)]
    """The pages' URLs, the parameter repeated."""


@with_config(DOCUMENTED)
class OwnQuery(TypedDict):
    token: str
    """The token of the reader's last comment."""
    url: str
    """The page's URL."""


# Drawing.


def form(stamp: str, thread_depth: int) -> Form:
    return {
        "stamp": stamp,
        "thread_depth": thread_depth,
        "limits": {
            "comment": COMMENT_MAX_BYTES,
            "name": NAME_MAX_BYTES,
            "email": EMAIL_MAX_BYTES,
            "website": WEBSITE_MAX_BYTES,
        },
    }


class EntryDrawer:
    """Draws PublicEntry objects as Entry dictionaries, with absolute image addresses;
    built once per answer (the bases come from url_for, too slow to call per entry)."""

    def __init__(self, avatars: str, photos: str):
        self.avatars = avatars  # the avatar route up to the name: …/avatars/
        self.photos = photos  # the photo route up to the key: …/photos/

    def entry(self, entry: PublicEntry) -> Entry:
        reaction = entry.mention_kind in REACTIONS
        return {
            "id": entry.id,
            "type": entry.type,
            "kind": entry.mention_kind,
            "label": None if entry.is_reply or reaction else entry.label,
            "author": entry.author,
            "website": entry.website,
            "avatar": f"{self.avatars}{entry.avatar}.svg",
            "photo": f"{self.photos}{entry.photo}" if entry.photo else None,
            "html": str(entry.html),
            "created": entry.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "pending": entry.pending,
            "by_moderator": entry.by_moderator,
            "replyable": entry.replyable,
            "source": entry.source or None,
            "replies": self.entries(entry.replies),
        }

    def entries(self, entries: Iterable[PublicEntry]) -> list[Entry]:
        return [self.entry(entry) for entry in entries]


def top_level(entries: Iterable[PublicEntry]) -> list[PublicEntry]:
    """The entries that start a thread (threads.Thread.entries lists replies too, in
    reading order; each is also in its parent's `replies`)."""
    return [entry for entry in entries if entry.depth == 0]


def error(message: str, status: int) -> Response:
    """A refusal as JSON: {"error": message}."""
    body: Error = {"error": message}
    response = jsonify(body)
    response.status_code = status
    return response


def field_errors(messages: dict[str, list[str]]) -> Response:
    """Field errors as JSON, 400: {"errors": {field: [message, …]}}."""
    body: FieldErrors = {"errors": messages}
    response = jsonify(body)
    response.status_code = 400
    return response
