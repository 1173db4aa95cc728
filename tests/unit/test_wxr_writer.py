"""The WXR writer (rules/wxr_writer.py), read back as WordPress's importer reads it: its
regex parser (wordpress-importer, parsers/class-wxr-parser-regex.php) line by line, and
an XML parser."""

import io
import re
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from moderation.rules import wxr_reader, wxr_writer
from moderation.rules.exports import ExportedEntry, ExportedPost
from moderation.rules.imports import ImportedEntry, ImportedThread, sourced
from moderation.rules.statuses import EntryType, MentionKind, Status

CREATED = datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC)
POST = ExportedPost(
    id=7,
    slug="grusse",
    title="Grüße & <Tags> ]]>",
    url="https://comments.example/posts/grusse/?a=1&b=2",
    site=None,
    body="<p>The article.</p>",
    comments_open=False,
    pings_open=True,
    created=CREATED,
)
COMMENT = ExportedEntry(
    id=12,
    post_id=7,
    parent_id=None,
    type=EntryType.COMMENT,
    status=Status.APPROVED,
    reason="approved by boss",
    author="Zoë & <Ünïcode> &amp;",
    email="zoe@example.net",
    website="https://zoe.example/?a=1&b=2",
    ip_address="2001:db8::1",
    user_agent="Mozilla/5.0",
    body="Ça va? <b>bold</b> ]]> end",
    body_html="<p>Ça va? <b>bold</b> ]]&gt; end</p>",
    source_url=None,
    source_title=None,
    mention_kind=None,
    published=None,
    created=CREATED,
    origin=None,
    origin_id=None,
)
WEBMENTION = ExportedEntry(
    **{
        **COMMENT.__dict__,
        "id": 13,
        "parent_id": 12,
        "type": EntryType.WEBMENTION,
        "status": Status.SPAM,
        "author": "Indie Author",
        "email": "",
        "website": "https://indie.example/",
        "source_url": "https://indie.example/reply",
        "source_title": "The reply’s page",
        "mention_kind": MentionKind.REPLY,
        "published": datetime(2026, 11, 30, 8, 15, 30, 123456, tzinfo=UTC),
    }
)
# WordPress's exporter's order, which the regex parser relies on (comment_author first).
COMMENT_TAGS = [
    "comment_id",
    "comment_author",
    "comment_author_email",
    "comment_author_url",
    "comment_author_IP",
    "comment_date",
    "comment_date_gmt",
    "comment_content",
    "comment_approved",
    "comment_type",
    "comment_parent",
    "comment_user_id",
]


def document(*entries: ExportedEntry) -> str:
    channel = wxr_writer.Channel("Comments", "https://comments.example", CREATED)
    parts = [wxr_writer.head(channel), wxr_writer.item_start(POST)]
    parts += [wxr_writer.comment(entry) for entry in entries]
    return "".join([*parts, wxr_writer.ITEM_END, wxr_writer.FOOT])


def regex_get_tag(text: str, tag: str) -> str:
    """WXR_Parser_Regex::get_tag: the first <tag…>…</tag>, its CDATA sections joined."""
    found = re.search(f"<{tag}.*?>(.*?)</{tag}>", text, re.S | re.I)
    if found is None:
        return ""
    value = found.group(1)
    if not value.startswith("<![CDATA["):
        return value
    if "]]]]><![CDATA[>" in value:
        return "".join(re.findall(r"<!\[CDATA\[(.*?)\]\]>", value, re.S))
    return re.sub(r"^<!\[CDATA\[(.*)\]\]>$", r"\1", value, flags=re.S)


def regex_comments(text: str) -> list[str]:
    """WXR_Parser_Regex: an <item> is the lines between one that opens it and one that
    closes it (each line right-trimmed), its comments what <wp:comment> tags enclose."""
    lines = text.splitlines()
    opening = [n for n, line in enumerate(lines) if "<item>" in line]
    closing = [n for n, line in enumerate(lines) if "</item>" in line]
    assert (len(opening), len(closing)) == (1, 1)
    item = "\n".join(line.rstrip() for line in lines[opening[0] + 1 : closing[0]])
    return re.findall(r"<wp:comment>(.+?)</wp:comment>", item, re.S | re.I)


@pytest.mark.parametrize("value", ["plain", "", "a]]>b", "]]>]]>", "x]]", "<![CDATA[ inside"])
def test_cdata_splits_its_end_marker_and_reads_back_whole(value):
    assert (ElementTree.fromstring(f"<x>{wxr_writer.cdata(value)}</x>").text or "") == value


def test_characters_xml_cannot_hold_become_the_replacement_character():
    written = wxr_writer.cdata("form\x0cfeed\x00")

    assert ElementTree.fromstring(f"<x>{written}</x>").text == "form\ufffdfeed\ufffd"


@pytest.mark.parametrize(
    ("tag", "line"),
    [
        ("<wp:wxr_version>", "<wp:wxr_version>1.2</wp:wxr_version>"),
        ("<wp:base_site_url>", "<wp:base_site_url>https://comments.example</wp:base_site_url>"),
        ("<wp:base_blog_url>", "<wp:base_blog_url>https://comments.example</wp:base_blog_url>"),
        ("<item>", "<item>"),
        ("</item>", "</item>"),
    ],
)
def test_what_the_regex_parser_reads_line_by_line_has_a_line_of_its_own(tag, line):
    assert [each.strip() for each in document(COMMENT).splitlines() if tag in each] == [line]


def test_the_regex_parser_reads_each_comment_field_from_its_own_tag():
    comment, webmention = regex_comments(document(COMMENT, WEBMENTION))

    read = {name: regex_get_tag(comment, f"wp:{name}") for name in COMMENT_TAGS}
    assert read == {
        "comment_id": "12",
        "comment_author": "Zoë &amp; &lt;Ünïcode&gt; &amp;amp;",  # as WordPress keeps it
        "comment_author_email": "zoe@example.net",
        "comment_author_url": "https://zoe.example/?a=1&b=2",
        "comment_author_IP": "2001:db8::1",
        "comment_date": "2026-12-01 09:30:05",
        "comment_date_gmt": "2026-12-01 09:30:05",
        "comment_content": "Ça va? <b>bold</b> ]]> end",
        "comment_approved": "1",
        "comment_type": "",
        "comment_parent": "0",
        "comment_user_id": "0",
    }
    assert regex_get_tag(webmention, "wp:comment_type") == "webmention"
    assert regex_get_tag(webmention, "wp:comment_approved") == "spam"
    assert regex_get_tag(webmention, "wp:comment_parent") == "12"


def test_our_reader_gets_back_every_field_the_writer_put():
    items = list(wxr_reader.read(io.BytesIO(document(COMMENT, WEBMENTION).encode())))

    thread, comment, webmention = items
    assert thread == ImportedThread(
        key="7",
        url=POST.url,
        title=POST.title,
        created=CREATED,
        comments_open=False,
        pings_open=True,
        slug=POST.slug,
        body=POST.body,
    )
    assert isinstance(comment, ImportedEntry) and isinstance(webmention, ImportedEntry)
    assert (comment.author, comment.body, comment.website, comment.reason) == (
        COMMENT.author,
        COMMENT.body,
        COMMENT.website,
        COMMENT.reason,
    )
    assert (webmention.parent_id, webmention.source_url, webmention.source_title) == (
        sourced("https://comments.example", "12"),
        WEBMENTION.source_url,
        WEBMENTION.source_title,
    )
    assert (webmention.mention_kind, webmention.published) == (
        MentionKind.REPLY,
        WEBMENTION.published,
    )
