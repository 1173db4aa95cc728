"""TrackBack 1.2, the receiving side: a form-encoded ping in, a small XML answer out.

The ping's text fields are plain text to us: tags are stripped and entities read
here, and whatever is shown later is escaped or sanitised then. Limits and the
"…" follow WordPress's wp-trackback.php.
"""

import codecs
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes
from xml.sax.saxutils import escape

from moderation.rules.source_page import one_line, parse

TITLE_MAX_CHARS = 250
EXCERPT_MAX_CHARS = 252
BLOG_NAME_MAX_CHARS = 250
ELLIPSIS = "…"
FALLBACK_CHARSET = "windows-1252"  # what senders that name no charset mostly mean
# UTF-7 can spell "<" without the byte for it; WordPress refuses it, and so do we.
REFUSED_CODECS = {"utf-7"}

# Characters that XML 1.0 does not allow, even escaped.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


class TrackbackError(Exception):
    """A ping that cannot be taken; the message is safe to send back."""


@dataclass(frozen=True)
class Ping:
    url: str  # stripped; checked by the caller
    title: str  # one line, at most 250 characters; "" when absent
    excerpt: str  # one line, at most 252 characters, then "…" when it was cut
    blog_name: str  # one line, at most 250 characters


def parse_ping(body: bytes, content_type: str) -> Ping:
    """Read a form-encoded ping in the charset its sender names."""
    fields = _fields(body)
    charset = _charset_param(content_type) or _ascii(fields.get("charset", b""))
    url = _decode(fields.get("url", b""), charset).strip()
    if not url:
        raise TrackbackError("The url parameter is required.")
    excerpt = _plain_text(_decode(fields.get("excerpt", b""), charset))
    if len(excerpt) > EXCERPT_MAX_CHARS:
        excerpt = excerpt[:EXCERPT_MAX_CHARS].rstrip() + ELLIPSIS
    return Ping(
        url=url,
        title=_plain_text(_decode(fields.get("title", b""), charset), TITLE_MAX_CHARS),
        excerpt=excerpt,
        blog_name=_plain_text(_decode(fields.get("blog_name", b""), charset), BLOG_NAME_MAX_CHARS),
    )


def response(error: str | None = None) -> bytes:
    """The TrackBack 1.2 answer: <error>0</error>, or 1 with the message."""
    if error is None:
        body = "<error>0</error>\n"
    else:
        message = escape(NOT_XML.sub("", error), {'"': "&quot;", "'": "&apos;"})
        body = f"<error>1</error>\n<message>{message}</message>\n"
    return f"{XML_DECLARATION}<response>\n{body}</response>\n".encode()


def _fields(body: bytes) -> dict[str, bytes]:
    """The form's fields, percent-decoded to bytes; the first of a repeated name wins."""
    fields: dict[str, bytes] = {}
    for pair in body.split(b"&"):
        name, _, value = pair.partition(b"=")
        key = unquote_to_bytes(name.replace(b"+", b" ")).decode("latin-1")
        fields.setdefault(key, unquote_to_bytes(value.replace(b"+", b" ")))
    return fields


def _charset_param(content_type: str) -> str:
    """The charset parameter of a Content-Type header, or ""."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'").strip()
    return ""


def _ascii(value: bytes) -> str:
    return value.decode("ascii", errors="replace").strip()


def _decode(value: bytes, charset: str) -> str:
    """Bytes in the named charset; UTF-8 (else windows-1252) when none is named.

    A name Python does not know, one that is no text encoding ("base64"), or UTF-7
    is read as UTF-8, with U+FFFD for what is not.
    """
    if not charset:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode(FALLBACK_CHARSET, errors="replace")
    try:
        codec = codecs.lookup(charset).name
        if codec not in REFUSED_CODECS:
            return value.decode(codec, errors="replace")
    except (LookupError, UnicodeError, ValueError):
        pass
    return value.decode("utf-8", errors="replace")


def _plain_text(value: str, limit: int | None = None) -> str:
    """Tags stripped, entities read, controls and bidi overrides gone, whitespace collapsed."""
    text = parse(value, "").text
    return one_line(text, len(text) if limit is None else limit)
