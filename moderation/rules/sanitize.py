"""Turn typed text into safe HTML: the only module that imports bleach (SPEC §3, Markup)."""

import re
import threading
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter

COMMENT_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "cite", "code", "del", "em",
        "i", "q", "s", "strike", "strong", "p", "br",
    }
)  # fmt: skip
COMMENT_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "blockquote": ["cite"],
    "del": ["datetime"],
    "q": ["cite"],
}
ARTICLE_TAGS = COMMENT_TAGS | {
    "h2", "h3", "h4", "ul", "ol", "li", "pre", "hr", "figure", "figcaption", "img",
}  # fmt: skip
ARTICLE_ATTRIBUTES = COMMENT_ATTRIBUTES | {"img": ["src", "alt", "width", "height"]}
PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener noreferrer"

_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_URL_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_C0_CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))
_ALLOWED_SCHEME = re.compile(r"(?:https?|mailto):", re.IGNORECASE)


def _mark_user_link(attrs: dict, new: bool = False) -> dict:
    """Every link a reader wrote, or that linkify made, is marked user content."""
    attrs[(None, "rel")] = LINK_REL
    return attrs


def _comment_attribute(tag: str, name: str, value: str) -> bool:
    """Keep allowlisted attributes; a URL must name http, https or mailto
    (SPEC §3, Markup)."""
    if name not in COMMENT_ATTRIBUTES.get(tag, ()):
        return False
    if name in {"href", "cite"}:
        # bleach keeps scheme-less URLs ("//evil.example", "/moderation/", "#x"); SPEC §3
        # (Markup) lets only http, https and mailto through. Read the URL as a browser does:
        # tabs and newlines anywhere, and leading controls and spaces, do not count.
        url = _URL_TAB_OR_NEWLINE.sub("", value).lstrip(_C0_CONTROL_OR_SPACE)
        return _ALLOWED_SCHEME.match(url) is not None
    return True


_local = threading.local()  # bleach Cleaners keep parser state: one per thread


def _comment_cleaner() -> bleach.Cleaner:
    cleaner = getattr(_local, "comment", None)
    if cleaner is None:
        cleaner = _local.comment = bleach.Cleaner(
            tags=COMMENT_TAGS,
            attributes=_comment_attribute,
            protocols=PROTOCOLS,
            strip=False,
            strip_comments=True,
            filters=[partial(LinkifyFilter, callbacks=[_mark_user_link], skip_tags={"code"})],
        )
    return cleaner


def _article_cleaner() -> bleach.Cleaner:
    cleaner = getattr(_local, "article", None)
    if cleaner is None:
        cleaner = _local.article = bleach.Cleaner(
            tags=ARTICLE_TAGS, attributes=ARTICLE_ATTRIBUTES, protocols=PROTOCOLS, strip=True
        )
    return cleaner


def paragraphs(text: str) -> str:
    """Wrap blank-line separated blocks in <p> and turn single newlines into <br>."""
    blocks = _BLANK_LINE.split(text.strip())
    return "".join("<p>" + block.replace("\n", "<br>\n") + "</p>" for block in blocks if block)


def comment_html(text: str) -> str:
    """Sanitise a comment in one bleach pass: allowlisted tags kept, the rest shown as text."""
    return _comment_cleaner().clean(paragraphs(text))


def article_html(html: str) -> str:
    """Sanitise a post body written by the site's owner (a wider allowlist, no linkify)."""
    return _article_cleaner().clean(html)
