"""Atom feeds (RFC 4287) of approved comments and linkbacks, drawn with feedgen: what an
entry is called, and the document itself. Pure: the web layer hands in absolute
addresses, the services the entries; nothing here sees an email (SPEC §3, Comment
fields: the email appears in no feed, nor a hash of it)."""

import re
from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator

from moderation.rules.statuses import EntryType, MentionKind

MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ANONYMOUS = "Anonymous"  # Atom wants a name for every author

# Characters XML 1.0 cannot carry (lxml refuses them): C0 controls but tab, newline and
# carriage return, lone surrogates, U+FFFE and U+FFFF. Forms refuse them already; a
# linkback's title comes from someone else's page.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Item:
    """One entry of a feed, its addresses absolute."""

    id: str  # a permanent, absolute IRI
    link: str  # where the entry is read
    title: str
    author: str
    author_uri: str  # "" when the author gave no website
    html: str  # the sanitised body_html, sent as escaped text (type="html")
    published: datetime
    updated: datetime


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    self_url: str  # the feed's own address
    alternate_url: str  # the page the feed follows
    updated: datetime
    items: tuple[Item, ...]
    subtitle: str = ""


def entry_title(
    entry_type: EntryType, mention_kind: MentionKind | None, author: str, post_title: str = ""
) -> str:
    """What an entry is called, as the post page introduces it: "Comment by NAME",
    "Pingback: TITLE"…; with `post_title`, naming its post too (the site's feed)."""
    author = author or ANONYMOUS
    if entry_type == EntryType.COMMENT:
        title = f"Comment by {author}"
    elif mention_kind == MentionKind.REPLY:
        title = f"Reply by {author}"
    elif mention_kind == MentionKind.LIKE:
        title = f"Liked by {author}"
    elif mention_kind == MentionKind.REPOST:
        title = f"Reposted by {author}"
    elif mention_kind == MentionKind.BOOKMARK:
        title = f"Bookmark: {author}"
    elif entry_type == EntryType.WEBMENTION:
        title = f"Mention: {author}"
    else:
        title = f"{entry_type.value.capitalize()}: {author}"
    return f"{title} on “{post_title}”" if post_title else title


def document(feed: Feed) -> bytes:
    """The feed as an Atom document, UTF-8, its entries in the order given."""
    generator = FeedGenerator()
    generator.id(feed.id)
    generator.title(_xml_text(feed.title))
    if feed.subtitle:
        generator.subtitle(_xml_text(feed.subtitle))
    generator.link(href=feed.self_url, rel="self", type="application/atom+xml")
    generator.link(href=feed.alternate_url, rel="alternate", type="text/html")
    generator.updated(feed.updated)  # never feedgen's default, now: the same rows, the same bytes
    for item in feed.items:
        entry = generator.add_entry(order="append")
        entry.id(item.id)
        entry.title(_xml_text(item.title))
        author = {"name": _xml_text(item.author) or ANONYMOUS}
        if item.author_uri:
            author["uri"] = item.author_uri
        entry.author(author)
        entry.link(href=item.link, rel="alternate", type="text/html")
        if item.html:  # a like or repost may have no text; its alternate link stands in
            entry.content(_xml_text(item.html), type="html")
        entry.published(item.published)
        entry.updated(item.updated)
    return generator.atom_str(pretty=False)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
