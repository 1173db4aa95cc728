"""Write a WordPress export (WXR 1.2) as WordPress's own exporter lays it out
(wp-admin/includes/export.php), in pieces, so an export streams: the head, each post's
<item> opened, its comments, the item closed, the foot.

What WordPress's importer needs (wordpress-importer, parsers/): the `wp:` prefix bound to
http://wordpress.org/export/1.2/; <wp:wxr_version>, <wp:base_site_url>,
<wp:base_blog_url>, <item> and </item> each on a line of their own (its regex parser reads
line by line); each item's and comment's fields in WordPress's order (the regex parser
takes the first tag that starts with the name: comment_author before
comment_author_email). Text goes in CDATA, split around "]]>" as wxr_cdata does.

Our fields that WXR has no element for ride as <wp:commentmeta>, under the keys
rules/wxr.py names (rules/wxr_reader.py reads them back), so a round trip loses nothing.
WordPress's exporter writes no user agent (no comment_agent), so ours is commentmeta too.
Dates: WXR's "Y-m-d H:i:s", seconds; comment_date is UTC like comment_date_gmt (we have no
blog timezone). Authors' names are HTML-escaped, as WordPress stores them.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from moderation.rules import wxr
from moderation.rules.exports import ExportedEntry, ExportedPost
from moderation.rules.statuses import EntryType, Status

WP_NAMESPACE = f"{wxr.WP_NAMESPACE_BASE}{wxr.WXR_VERSION}/"
APPROVED = {Status.APPROVED: "1", Status.PENDING: "0", Status.SPAM: "spam", Status.TRASH: "trash"}
# Characters XML 1.0 cannot hold at all, even in CDATA; none gets past our forms.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
ITEM_END = "\t</item>\n"
FOOT = "</channel>\n</rss>\n"


@dataclass(frozen=True)
class Channel:
    """What the export is of: its title, and the address of the site it comes from."""

    title: str
    link: str
    generated: datetime


def cdata(text: str) -> str:
    """The text as a CDATA section, "]]>" split across two (WordPress's wxr_cdata)."""
    clean = NOT_XML.sub("\ufffd", text)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def head(channel: Channel) -> str:
    """The XML declaration, the <rss> with WXR's namespaces, and the channel's fields."""
    link = _escaped(channel.link)
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        "<!-- This is a WordPress eXtended RSS file: the comments and linkbacks of a -->\n"
        "<!-- moderation service, with their posts. WordPress's importer reads it, -->\n"
        "<!-- and so does `flask import wordpress`. -->\n"
        '<rss version="2.0"\n'
        f'\txmlns:excerpt="{WP_NAMESPACE}excerpt/"\n'
        f'\txmlns:content="{wxr.CONTENT_NAMESPACE}"\n'
        '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
        '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        f'\txmlns:wp="{WP_NAMESPACE}"\n'
        ">\n\n<channel>\n"
        f"\t<title>{_escaped(channel.title)}</title>\n"
        f"\t<link>{link}</link>\n"
        "\t<description></description>\n"
        f"\t<pubDate>{format_datetime(channel.generated)}</pubDate>\n"
        "\t<language></language>\n"
        f"\t<wp:wxr_version>{wxr.WXR_VERSION}</wp:wxr_version>\n"
        f"\t<wp:base_site_url>{link}</wp:base_site_url>\n"
        f"\t<wp:base_blog_url>{link}</wp:base_blog_url>\n\n"
    )


def item_start(post: ExportedPost) -> str:
    """A post's <item>, up to where its comments go."""
    date = cdata(_date(post.created))
    return (
        "\t<item>\n"
        f"\t\t<title>{cdata(post.title)}</title>\n"
        f"\t\t<link>{_escaped(post.url)}</link>\n"
        f"\t\t<pubDate>{format_datetime(post.created)}</pubDate>\n"
        f"\t\t<dc:creator>{cdata('')}</dc:creator>\n"
        f'\t\t<guid isPermaLink="false">{_escaped(post.url)}</guid>\n'
        "\t\t<description></description>\n"
        f"\t\t<content:encoded>{cdata(post.body)}</content:encoded>\n"
        f"\t\t<excerpt:encoded>{cdata('')}</excerpt:encoded>\n"
        f"\t\t<wp:post_id>{post.id}</wp:post_id>\n"
        f"\t\t<wp:post_date>{date}</wp:post_date>\n"
        f"\t\t<wp:post_date_gmt>{date}</wp:post_date_gmt>\n"
        f"\t\t<wp:post_modified>{date}</wp:post_modified>\n"
        f"\t\t<wp:post_modified_gmt>{date}</wp:post_modified_gmt>\n"
        f"\t\t<wp:comment_status>{cdata(_open(post.comments_open))}</wp:comment_status>\n"
        f"\t\t<wp:ping_status>{cdata(_open(post.pings_open))}</wp:ping_status>\n"
        f"\t\t<wp:post_name>{cdata(post.slug)}</wp:post_name>\n"
        f"\t\t<wp:status>{cdata('publish')}</wp:status>\n"
        "\t\t<wp:post_parent>0</wp:post_parent>\n"
        "\t\t<wp:menu_order>0</wp:menu_order>\n"
        f"\t\t<wp:post_type>{cdata('post')}</wp:post_type>\n"
        f"\t\t<wp:post_password>{cdata('')}</wp:post_password>\n"
        "\t\t<wp:is_sticky>0</wp:is_sticky>\n"
    )


def comment(entry: ExportedEntry) -> str:
    """One entry as a <wp:comment>, our own fields as its commentmeta."""
    linkback = entry.type != EntryType.COMMENT
    date = cdata(_date(entry.created))
    lines = [
        "\t\t<wp:comment>",
        f"\t\t\t<wp:comment_id>{entry.id}</wp:comment_id>",
        # HTML-escaped, as WordPress keeps names (rules/wxr_reader.py unescapes them).
        f"\t\t\t<wp:comment_author>{cdata(escape(entry.author))}</wp:comment_author>",
        f"\t\t\t<wp:comment_author_email>{cdata(entry.email)}</wp:comment_author_email>",
        # A linkback's author URL is its source, as WordPress keeps a pingback's. In CDATA
        # (WordPress writes it bare): an & in a URL would otherwise break the XML.
        "\t\t\t<wp:comment_author_url>"
        f"{cdata((entry.source_url or '') if linkback else entry.website)}"
        "</wp:comment_author_url>",
        f"\t\t\t<wp:comment_author_IP>{cdata(entry.ip_address)}</wp:comment_author_IP>",
        f"\t\t\t<wp:comment_date>{date}</wp:comment_date>",
        f"\t\t\t<wp:comment_date_gmt>{date}</wp:comment_date_gmt>",
        f"\t\t\t<wp:comment_content>{cdata(entry.body)}</wp:comment_content>",
        f"\t\t\t<wp:comment_approved>{cdata(APPROVED[entry.status])}</wp:comment_approved>",
        f"\t\t\t<wp:comment_type>{cdata(_comment_type(entry.type))}</wp:comment_type>",
        f"\t\t\t<wp:comment_parent>{entry.parent_id or 0}</wp:comment_parent>",
        "\t\t\t<wp:comment_user_id>0</wp:comment_user_id>",
    ]
    for key, value in _meta(entry, linkback):
        lines += [
            "\t\t\t<wp:commentmeta>",
            f"\t\t\t\t<wp:meta_key>{cdata(key)}</wp:meta_key>",
            f"\t\t\t\t<wp:meta_value>{cdata(value)}</wp:meta_value>",
            "\t\t\t</wp:commentmeta>",
        ]
    lines.append("\t\t</wp:comment>\n")
    return "\n".join(lines)


def _meta(entry: ExportedEntry, linkback: bool) -> Iterator[tuple[str, str]]:
    """Our fields that WXR has no element for, those that hold something."""
    if entry.reason:
        yield wxr.META_REASON, entry.reason
    if entry.mention_kind is not None:
        yield wxr.META_MENTION_KIND, entry.mention_kind.value
    if entry.published is not None:
        yield wxr.META_PUBLISHED, entry.published.isoformat()
    if entry.source_title is not None:
        yield wxr.META_SOURCE_TITLE, entry.source_title
    if linkback and entry.website != (entry.source_url or ""):
        # May be "": then the reader must not take the source URL for it.
        yield wxr.META_WEBSITE, entry.website
    if entry.user_agent:
        yield wxr.META_USER_AGENT, entry.user_agent


def _comment_type(entry_type: EntryType) -> str:
    """A comment's type is empty, as WordPress wrote it before 5.5 (both read it)."""
    return "" if entry_type == EntryType.COMMENT else entry_type.value


def _date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _open(is_open: bool) -> str:
    return "open" if is_open else "closed"


def _escaped(text: str) -> str:
    return escape(NOT_XML.sub("\ufffd", text))
