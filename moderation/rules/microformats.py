"""What a webmention's source says about itself in microformats2: its h-entry.

Read with mf2py, which resolves relative URLs against the page's address (and its
<base href>). The h-entry chosen is the one that links to the target, else the
first; its author comes from the entry, else its h-feed, else the page's own h-card
(a simple form of the authorship algorithm: nothing is fetched). Only absolute http
and https URLs are kept: the rest (javascript:, data:...) are dropped.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import mf2py

from moderation.rules.limits import COMMENT_MAX_BYTES, fit_bytes
from moderation.rules.source_page import one_line_name, parse
from moderation.rules.statuses import MentionKind
from moderation.rules.urls import is_web_url

# The properties that say what the entry is, in the order a kind is chosen.
KIND_PROPERTIES = (
    ("in-reply-to", MentionKind.REPLY),
    ("like-of", MentionKind.LIKE),
    ("repost-of", MentionKind.REPOST),
    ("bookmark-of", MentionKind.BOOKMARK),
)
WITHOUT_TEXT = (MentionKind.LIKE, MentionKind.REPOST)
CONTENT_LINK_TAGS = ("a", "img", "video", "audio")  # as Webmention verification reads them

XML_DECLARATIONS = re.compile(r"^(?:<\?xml[^>]*>?)+")
# Controls other than newline and tab, and the bidi overrides that could reorder what
# moderators read (SPEC §3 (Comment fields) refuses them in what a reader types).
CONTENT_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
TRAILING_SPACE = re.compile(r"[ \t]+\n")
BLANK_LINES = re.compile(r"\n{3,}")
DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?)"
    r" ?(?:([Zz])|([+-])(\d{2}):?(\d{2})?)?)?"
)


@dataclass(frozen=True)
class HEntry:
    kind: MentionKind
    author_name: str  # "" when unknown; one line, at most NAME_MAX_BYTES in UTF-8
    author_url: str  # absolute http(s) URL or ""
    author_photo: str  # absolute http(s) URL or ""
    url: str  # the entry's own address, absolute http(s), or ""
    published: datetime | None  # in UTC; None when absent or unreadable
    content: str  # plain text; "" for likes and reposts without any


def read_h_entry(html: str, page_url: str, is_target: Callable[[str], bool]) -> HEntry | None:
    """The h-entry of a fetched page, as it concerns the target; None when it has none.

    `is_target` is only ever asked about absolute http(s) URLs with a valid port.
    """
    document = _parse(html, page_url)
    if document is None:
        return None
    items = [item for item in document.get("items", []) if isinstance(item, dict)]
    entries = list(_entries(items))
    if not entries:
        return None
    matches = _safe(is_target)
    entry, feed = next(
        ((entry, feed) for entry, feed in entries if _links_to(entry, page_url, matches)),
        entries[0],
    )
    props = _properties(entry)
    kind = _kind(props, matches)
    name, url, photo = _author(props, feed, items, page_url)
    return HEntry(
        kind=kind,
        author_name=name,
        author_url=url,
        author_photo=photo,
        url=_first_url(props.get("url")),
        published=_published(props.get("published")),
        content=_content(props, kind),
    )


def _parse(html: str, page_url: str) -> dict | None:
    """mf2py's reading of the page, or None when there is nothing to read."""
    if "<" not in html:
        # No element, so no h-entry; and BeautifulSoup warns about markup like a file name.
        return None
    # A leading XML declaration would make BeautifulSoup warn that it parses XML as HTML.
    # (Warnings are avoided, not silenced: catch_warnings is not safe in worker threads.)
    html = XML_DECLARATIONS.sub("", html)
    try:
        # doc is always given: without it mf2py would fetch `url` itself.
        return mf2py.parse(doc=html, url=page_url)
    except RecursionError:
        return None  # elements nested thousands deep: no page worth reading


def _entries(items: list[dict]) -> Iterator[tuple[dict, dict | None]]:
    """Top-level h-entries and those of top-level h-feeds, in page order, with their feed."""
    for item in items:
        types = item.get("type", [])
        if "h-entry" in types:
            yield item, None
        elif "h-feed" in types:
            for child in item.get("children", []):
                if isinstance(child, dict) and "h-entry" in child.get("type", []):
                    yield child, item


def _safe(is_target: Callable[[str], bool]) -> Callable[[str], bool]:
    """Ask `is_target` only about web URLs: the caller's parsing may not expect others."""

    def matches(value: Any) -> bool:
        url = _web_url(value)
        try:
            return bool(url) and is_target(url)
        except ValueError:
            return False

    return matches


def _links_to(entry: dict, page_url: str, matches: Callable[[str], bool]) -> bool:
    """Whether the entry names the target in what it is, or links to it in its content."""
    props = _properties(entry)
    if _kind(props, matches) != MentionKind.MENTION:
        return True
    return any(
        parse(content["html"], page_url).find_link(matches, CONTENT_LINK_TAGS) is not None
        for content in props.get("content", [])
        if isinstance(content, dict) and isinstance(content.get("html"), str)
    )


def _kind(props: dict, matches: Callable[[str], bool]) -> MentionKind:
    for name, kind in KIND_PROPERTIES:
        if any(matches(url) for url in _urls(props.get(name))):
            return kind
    return MentionKind.MENTION


def _urls(values: Any) -> Iterator[str]:
    """The URLs a property names: plain values, or the url (and value) of an h-cite."""
    for value in values if isinstance(values, list) else []:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from (url for url in _properties(value).get("url", []) if isinstance(url, str))
            if isinstance(value.get("value"), str):
                yield value["value"]


def _author(
    props: dict, feed: dict | None, items: list[dict], page_url: str
) -> tuple[str, str, str]:
    """Name, URL and photo: of the entry's author, its feed's, or the page's own h-card."""
    authors = props.get("author") or (_properties(feed).get("author") if feed else None)
    if not authors:
        host = _host(page_url)
        card = _page_card(items, lambda card_url: bool(host) and _host(card_url) == host)
        return _card(card) if card else ("", "", "")
    author = authors[0]
    if isinstance(author, dict) and "properties" in author:
        name, url, photo = _card(author)
    else:  # a plain string: a name, or the author's URL
        text = _text_value(author)
        url = _web_url(text)
        name, photo = ("" if url else one_line_name(text)), ""
    if url and not name:
        # Only a URL: the h-card on this page with that URL, if any, says who it is.
        card = _page_card(items, lambda card_url: card_url == url)
        if card is not None:
            return _card(card)
    return name, url, photo


def _page_card(items: list[dict], wanted: Callable[[str], bool]) -> dict | None:
    """The first top-level h-card with a URL that `wanted` accepts."""
    for item in items:
        urls = filter(None, map(_web_url, _properties(item).get("url", [])))
        if "h-card" in item.get("type", []) and any(map(wanted, urls)):
            return item
    return None


def _card(card: dict) -> tuple[str, str, str]:
    props = _properties(card)
    value = _text_value(card)
    name = _first_text(props.get("name")) or ("" if _web_url(value) else value)
    url = _first_url(props.get("url")) or _web_url(value)
    return one_line_name(name), url, _first_url(props.get("photo"))


def _content(props: dict, kind: MentionKind) -> str:
    """e-content's text, else p-summary, else an explicit p-name; cut to the comment limit."""
    text = _text(_first_text(props.get("content"))) or _text(_first_text(props.get("summary")))
    if not text and kind not in WITHOUT_TEXT and _name_is_explicit(props):
        text = _text(_first_text(props.get("name")))
    return fit_bytes(text, COMMENT_MAX_BYTES).rstrip()


def _name_is_explicit(props: dict) -> bool:
    """Whether the name was written as one, rather than implied by mf2py.

    An implied name is the whole text of the entry repeated. mf2py implies one only
    when the entry has no p-*, e-* or nested h-* property; a nested object or an e-*
    value among the others proves this name was given. (A p-name beside only u-* and
    dt-* properties cannot be told from an implied one; the caller's excerpt stands in.)
    """
    return any(
        isinstance(value, dict) and ("type" in value or "html" in value)
        for name, values in props.items()
        if name != "name" and isinstance(values, list)
        for value in values
    )


def _published(values: Any) -> datetime | None:
    """The first published date in UTC; a time without an offset is taken as UTC."""
    match = DATETIME.fullmatch(_first_text(values).strip())
    if match is None:
        return None
    day, time, utc, sign, hours, minutes = match.groups()
    try:
        when = datetime.fromisoformat(f"{day}T{(time or '00:00').replace(',', '.')}")
        offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
        zone = UTC if utc or not sign else timezone(-offset if sign == "-" else offset)
        return when.replace(tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError):  # 2024-02-30, an offset of 24 hours, year 1 at +01:00
        return None


def _properties(item: Any) -> dict:
    props = item.get("properties") if isinstance(item, dict) else None
    return props if isinstance(props, dict) else {}


def _text_value(value: Any) -> str:
    """A property value as text: itself, or the "value" of an object (h-*, e-*, img alt)."""
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) else ""


def _first_text(values: Any) -> str:
    return next(
        (text for text in map(_text_value, values if isinstance(values, list) else []) if text),
        "",
    )


def _first_url(values: Any) -> str:
    """The first absolute http(s) URL among the values (strings or {"value", "alt"})."""
    return next(
        (url for url in map(_web_url, values if isinstance(values, list) else []) if url), ""
    )


def _web_url(value: Any) -> str:
    """The value when it is an absolute http(s) URL with a host and a valid port, else ""."""
    url = _text_value(value).strip()
    return url if is_web_url(url) else ""


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _text(text: str) -> str:
    """Plain text kept in lines and paragraphs, without controls or bidi overrides."""
    text = CONTENT_UNPRINTABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return BLANK_LINES.sub("\n\n", TRAILING_SPACE.sub("\n", text)).strip()
