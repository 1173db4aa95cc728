"""What a linkback's source page says: its title, its links, and the words around one.

Parsed with the standard library's tolerant HTML parser. Comments and script or
style text are not part of the page's text and hold no links (a target named only
there is not linked to).
"""

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

from moderation.rules.limits import NAME_MAX_BYTES, fit_bytes

CONTEXT_CHARS = 100  # of text either side of the link text, as WordPress takes
LINK_TEXT_MAX_CHARS = 100
ELLIPSIS = "[…]"

WHITESPACE = re.compile(r"\s+")
# C0 and C1 controls, and the bidi overrides that could reorder what moderators read.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# The attribute that carries each tag's link: Webmention §3.2.2 (webmention verification)
# looks for the target in these.
LINK_ATTRIBUTES = {"a": "href", "img": "src", "video": "src", "audio": "src"}
HIDDEN_TAGS = {"script", "style", "template"}
# Elements that end a run of text: an excerpt never crosses their start or end tags.
BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "legend", "li", "main", "nav", "ol", "p", "pre", "section",
    "summary", "table", "td", "th", "tr", "ul",
}  # fmt: skip
# A line break separates words but not paragraphs: the excerpt may run across it.
SPACED_TAGS = BLOCK_TAGS | {"br"}


@dataclass(frozen=True)
class Link:
    url: str  # absolute: resolved against the page's address and its <base href>
    tag: str
    start: int  # where the link's text begins and ends in Document.text
    end: int


@dataclass(frozen=True)
class Document:
    # Whitespace collapsed, cut to a name's limit (it stands for the linkback's author);
    # "" when the page has none.
    title: str
    text: str  # the visible text, whitespace collapsed
    links: list[Link]
    # Where block elements start or end in `text`, in order: the edges of paragraphs,
    # list items, headings, table cells...
    breaks: tuple[int, ...] = ()

    def find_link(
        self, matches: Callable[[str], bool], tags: tuple[str, ...] = ("a",)
    ) -> Link | None:
        """The first link of the given tags whose address `matches` accepts."""
        return next((link for link in self.links if link.tag in tags and matches(link.url)), None)

    def excerpt(self, link: Link) -> str:
        """ "[…] up to 100 characters either side of the link text […]", as plain text,
        taken from the link's own paragraph (block element) only, as WordPress does."""
        text = self.text[link.start : link.end]
        if len(text) > LINK_TEXT_MAX_CHARS:
            text = text[: LINK_TEXT_MAX_CHARS - 1].rstrip() + "…"
        start, end = self._paragraph(link)
        before = self.text[max(start, link.start - CONTEXT_CHARS) : link.start]
        after = self.text[link.end : min(end, link.end + CONTEXT_CHARS)]
        return f"{ELLIPSIS} {(before + text + after).strip()} {ELLIPSIS}"

    def _paragraph(self, link: Link) -> tuple[int, int]:
        """Where the block around the link starts and ends in `text`."""
        before = bisect.bisect_right(self.breaks, link.start)
        after = bisect.bisect_left(self.breaks, link.end)
        start = self.breaks[before - 1] if before else 0
        end = self.breaks[after] if after < len(self.breaks) else len(self.text)
        return start, end


def one_line(text: str, limit: int) -> str:
    """Collapse whitespace, drop unprintable characters, and cut to `limit` characters."""
    return WHITESPACE.sub(" ", UNPRINTABLE.sub(" ", text)).strip()[:limit].rstrip()


def one_line_name(text: str) -> str:
    """One line fit for an author's name: at most NAME_MAX_BYTES in UTF-8, cut between
    characters (SPEC §3 (Comment fields): a name is at most 245 bytes)."""
    return fit_bytes(one_line(text, NAME_MAX_BYTES), NAME_MAX_BYTES).rstrip()


def parse(html: str, page_url: str) -> Document:
    """Read a page fetched from `page_url`."""
    parser = _Reader(page_url)
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, AttributeError, ValueError):
        # Old parser paths for malformed declarations can still raise; keep what was read.
        pass
    return parser.document()


@dataclass
class _OpenLink:
    url: str
    start: int


@dataclass
class _Reader(HTMLParser):
    base_url: str
    pieces: list[str] = field(default_factory=list)
    length: int = 0
    ends_with_space: bool = True
    hidden: int = 0  # depth inside tags whose text is not shown
    title_parts: list[str] | None = None  # collecting while inside <title>
    title: str | None = None
    in_svg: int = 0
    links: list[Link] = field(default_factory=list)
    breaks: list[int] = field(default_factory=list)
    open_anchor: _OpenLink | None = None
    base_seen: bool = False

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def document(self) -> Document:
        self._close_anchor()
        text = "".join(self.pieces)
        title = one_line_name(self.title or "")
        return Document(title, text, self.links, tuple(self.breaks))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "title" and self.title is None and not self.in_svg:
            self.title_parts = []
        elif tag == "svg":
            self.in_svg += 1
        elif tag == "base" and not self.base_seen and values.get("href"):
            self.base_seen = True
            self.base_url = urljoin(self.base_url, values["href"].strip())
        if tag in HIDDEN_TAGS:
            self.hidden += 1
        self._block_edge(tag)
        attribute = LINK_ATTRIBUTES.get(tag)
        if attribute and values.get(attribute, "").strip():
            url = urljoin(self.base_url, values[attribute].strip())
            if tag == "a":
                self._close_anchor()
                self.open_anchor = _OpenLink(url, self.length)
            else:
                self.links.append(Link(url, tag, self.length, self.length))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in LINK_ATTRIBUTES or tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title_parts is not None:
            self.title = "".join(self.title_parts)
            self.title_parts = None
        elif tag == "svg" and self.in_svg:
            self.in_svg -= 1
        elif tag == "a":
            self._close_anchor()
        if tag in HIDDEN_TAGS and self.hidden:
            self.hidden -= 1
        self._block_edge(tag)

    def handle_data(self, data: str) -> None:
        if self.title_parts is not None:
            self.title_parts.append(data)
            return
        if self.hidden:
            return
        # Controls (NUL above all: PostgreSQL's text refuses it) and bidi overrides go here,
        # where a page's text enters: excerpts and trackback fields are cut from it.
        collapsed = WHITESPACE.sub(" ", UNPRINTABLE.sub(" ", data))
        if self.ends_with_space:
            collapsed = collapsed.lstrip(" ")
        if collapsed:
            self._append(collapsed)

    def _block_edge(self, tag: str) -> None:
        if tag in SPACED_TAGS:
            self._space()
        # A block inside a link (a "card") is part of the link's text, not an edge of it.
        edge = tag in BLOCK_TAGS and self.open_anchor is None
        if edge and not (self.breaks and self.breaks[-1] == self.length):
            self.breaks.append(self.length)

    def _space(self) -> None:
        if not self.ends_with_space:
            self._append(" ")

    def _append(self, text: str) -> None:
        self.pieces.append(text)
        self.length += len(text)
        self.ends_with_space = text.endswith(" ")

    def _close_anchor(self) -> None:
        if self.open_anchor is not None:
            end = self.length - (1 if self.ends_with_space and self.length else 0)
            start = min(self.open_anchor.start, end)
            self.links.append(Link(self.open_anchor.url, "a", start, end))
            self.open_anchor = None
