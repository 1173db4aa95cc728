"""Read a WordPress export (WXR 1.0–1.2, as wp-admin/includes/export.php writes it) as a
stream of import records (rules/imports.py): each post's thread, then its comments,
pingbacks and trackbacks.

WordPress numbers comments from 1 in every blog: an entry's origin id carries the blog's
address (<wp:base_blog_url>, else the channel's <link>), so two blogs' comments do not meet.
The file is streamed (rules/xml_stream.py: no DTD, no entity) and each <item> is dropped
once read, so memory stays flat whatever the file's size (issue 15: hundreds of MB).
"""

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element

from moderation.rules import wxr, xml_stream
from moderation.rules.imports import (
    ImportedEntry,
    ImportedThread,
    Item,
    MalformedFile,
    RefusedItem,
    sourced,
)
from moderation.rules.statuses import EntryType, MentionKind, Status

# WXR 1.0, 1.1 and 1.2 each name the wp: namespace by their version.
WP_NAMESPACE = re.compile(r"^\{" + re.escape(wxr.WP_NAMESPACE_BASE) + r"\d+\.\d+/\}")
CONTENT_NAMESPACE = "{" + wxr.CONTENT_NAMESPACE + "}"
WXR_VERSIONS = {"1.0", "1.1", "1.2"}
THREAD_TYPES = {"post", "page"}  # also imported without comments, for their open/closed
STATUSES = {
    "1": Status.APPROVED,
    "0": Status.PENDING,
    "spam": Status.SPAM,
    "trash": Status.TRASH,
    "post-trashed": Status.TRASH,  # WordPress's mark on the comments of a trashed post
}
TYPES = {
    "": EntryType.COMMENT,
    "comment": EntryType.COMMENT,
    "pingback": EntryType.PINGBACK,
    "trackback": EntryType.TRACKBACK,
    "webmention": EntryType.WEBMENTION,
}
NO_DATE = "0000-00-00 00:00:00"
# The channel's fields read before its first <item>: the version, and the blog's address.
HEAD = {"wp:wxr_version", "wp:base_blog_url", "link"}
NOTED = {"item", "wp:comment", "wp:wxr_version"}  # the elements whose line is kept


def read(source: BinaryIO) -> Iterator[Item]:
    """Every thread and entry of a WXR file, in the file's order; MalformedFile, with its
    line, when the file is not well-formed XML, declares a DTD, or is not a WXR export."""
    return xml_stream.read(source, lambda tag, _depth: _name(tag) in NOTED, _items)


def _items(events: xml_stream.Events, builder: xml_stream.LineTreeBuilder) -> Iterator[Item]:
    lines = builder.lines
    depth = 0
    channel: Element | None = None
    head: dict[str, str] = {}
    blog = ""
    for event, element in events:
        if event == "start":
            depth += 1
            if depth == 1 and element.tag != "rss":
                raise MalformedFile("this is not a WordPress export: its root is not <rss>", 1)
            if depth == 2 and element.tag == "channel":
                channel = element
            if depth == 3 and element.tag == "item" and not blog:
                blog = _blog(head, lines.get(id(element)))
            continue
        depth -= 1
        if depth != 2 or channel is None:
            continue
        # A child of <channel>: read it, then free it (and everything read before it).
        name = _name(element.tag)
        if name in HEAD and not blog:
            head[name] = (element.text or "").strip()
            line = lines.pop(id(element), None)  # noted for the version only
            if name == "wp:wxr_version" and head[name] not in WXR_VERSIONS:
                raise MalformedFile(f"WXR version {head[name]!r} is not 1.0, 1.1 or 1.2", line)
        elif name == "item":
            yield from _item(element, lines, blog)
        channel.clear()


def _blog(head: dict[str, str], line: int | None) -> str:
    """The blog's address, which every id of the file is qualified by; MalformedFile when
    the channel had no version or no address before its first <item>."""
    if "wp:wxr_version" not in head:
        raise MalformedFile(
            "this is not a WordPress export (WXR): no <wp:wxr_version> before the first <item>",
            line,
        )
    blog = head.get("wp:base_blog_url") or head.get("link")
    if not blog:
        raise MalformedFile(
            "this is not a WordPress export (WXR): no <wp:base_blog_url> or <link> before "
            "the first <item> (comment ids are the blog's own)",
            line,
        )
    return blog


def _item(item: Element, lines: dict[int, int | None], blog: str) -> Iterator[Item]:
    """The thread of one <item>, when it is a post or page or has comments, then its
    comments."""
    fields = {_name(child.tag): child for child in item if _name(child.tag) != "wp:comment"}
    comments = [child for child in item if _name(child.tag) == "wp:comment"]
    # The parser reads ahead: the lines of the next items are noted already, so only
    # this item's own are dropped.
    item_line = lines.pop(id(item), None)
    comment_lines = [lines.pop(id(comment), None) for comment in comments]
    post_type = _text(fields, "wp:post_type") or "post"
    if not comments and (post_type not in THREAD_TYPES or _text(fields, "wp:status") != "publish"):
        return  # an attachment, a menu item, a draft: nothing to hold comments for
    key = _text(fields, "wp:post_id")
    if not key:
        yield RefusedItem("", "an <item> without <wp:post_id>", item_line)
        return
    yield ImportedThread(
        key=key,
        url=_text(fields, "link"),
        title=_text(fields, "title"),
        created=_date(_text(fields, "wp:post_date_gmt"), _text(fields, "wp:post_date")),
        comments_open=_text(fields, "wp:comment_status") in {"open", ""},
        pings_open=_text(fields, "wp:ping_status") in {"open", ""},
        slug=_text(fields, "wp:post_name"),
        body=_raw(fields, "content:encoded"),
    )
    for comment, line in zip(comments, comment_lines, strict=True):
        yield _comment(comment, key, blog, line)


def _comment(
    element: Element, thread_key: str, blog: str, line: int | None
) -> ImportedEntry | RefusedItem:
    """One <wp:comment> as an entry, or refused with the reason."""
    fields, meta = _comment_fields(element)
    comment_id = _text(fields, "wp:comment_id")
    if not comment_id:
        return RefusedItem("", "a comment without <wp:comment_id>", line)
    origin_id = sourced(blog, comment_id)
    approved = _text(fields, "wp:comment_approved")
    if approved not in STATUSES:
        return RefusedItem(origin_id, f"comment_approved {approved!r} is not a status", line)
    kind = _text(fields, "wp:comment_type")
    if kind not in TYPES:
        return RefusedItem(origin_id, f"comment type {kind!r} is not a comment or linkback", line)
    created = _date(_text(fields, "wp:comment_date_gmt"), _text(fields, "wp:comment_date"))
    if created is None:
        return RefusedItem(origin_id, "a comment without a date", line)
    entry_type = TYPES[kind]
    # WordPress keeps names HTML-escaped (a pingback's "Blog &raquo; Title").
    author = html.unescape(_text(fields, "wp:comment_author"))
    author_url = _text(fields, "wp:comment_author_url")
    linkback = entry_type != EntryType.COMMENT
    parent = _text(fields, "wp:comment_parent")
    return ImportedEntry(
        origin_id=origin_id,
        thread_key=thread_key,
        type=entry_type,
        status=STATUSES[approved],
        author=author,
        body=_raw(fields, "wp:comment_content"),
        created=created,
        parent_id=sourced(blog, parent) if parent not in {"", "0"} else None,
        email=_text(fields, "wp:comment_author_email"),
        # A linkback's source is its author URL, its website too unless our own export
        # says otherwise (even empty), and its author the source's title.
        website=meta.get(wxr.META_WEBSITE, author_url) if linkback else author_url,
        ip_address=_text(fields, "wp:comment_author_IP"),
        user_agent=meta.get(wxr.META_USER_AGENT) or _text(fields, "wp:comment_agent"),
        source_url=author_url if linkback else None,
        source_title=meta.get(wxr.META_SOURCE_TITLE, author) if linkback else None,
        reason=meta.get(wxr.META_REASON, ""),
        mention_kind=_mention_kind(meta.get(wxr.META_MENTION_KIND, "")),
        published=_iso_date(meta.get(wxr.META_PUBLISHED, "")),
    )


def _comment_fields(element: Element) -> tuple[dict[str, Element], dict[str, str]]:
    """A <wp:comment>'s fields by name, and its commentmeta's values by key."""
    fields: dict[str, Element] = {}
    meta: dict[str, str] = {}
    for child in element:
        name = _name(child.tag)
        if name == "wp:commentmeta":
            parts = {_name(each.tag): each.text or "" for each in child}
            meta[parts.get("wp:meta_key", "").strip()] = parts.get("wp:meta_value", "")
        else:
            fields[name] = child
    return fields, meta


def _name(tag: str) -> str:
    """wp:name for any WXR version's wp: namespace, content:name, or the plain name."""
    if WP_NAMESPACE.match(tag):
        return "wp:" + tag.rpartition("}")[2]
    if tag.startswith(CONTENT_NAMESPACE):
        return "content:" + tag[len(CONTENT_NAMESPACE) :]
    return tag


def _raw(fields: dict[str, Element], name: str) -> str:
    element = fields.get(name)
    return (element.text or "") if element is not None else ""


def _text(fields: dict[str, Element], name: str) -> str:
    return _raw(fields, name).strip()


def _date(gmt: str, local: str) -> datetime | None:
    """The GMT date; the local one taken as UTC when WordPress left GMT zero (drafts,
    very old comments); None when neither reads."""
    for text in (gmt, local):
        if text and text != NO_DATE:
            try:
                return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            except ValueError:
                continue
    return None


def _iso_date(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _mention_kind(text: str) -> MentionKind | None:
    try:
        return MentionKind(text.strip())
    except ValueError:
        return None
