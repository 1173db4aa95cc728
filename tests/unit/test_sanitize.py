"""The comment sanitiser (SPEC §3 Markup) and the post-body sanitiser, without an app."""

import re
from html.parser import HTMLParser

import pytest

from moderation.rules.sanitize import article_html, comment_html, paragraphs

LINK_REL = "nofollow ugc noopener noreferrer"

# SPEC §3's allowlist (Markup), written out here rather than imported, so that the tests check the
# spec and not the module against itself. `p` and `br` come from the paragraph step,
# `rel` from the sanitiser itself.
COMMENT_ALLOWLIST = {
    "a": {"href", "title", "rel"},
    "abbr": {"title"},
    "b": set(),
    "blockquote": {"cite"},
    "cite": set(),
    "code": set(),
    "del": {"datetime"},
    "em": set(),
    "i": set(),
    "q": {"cite"},
    "s": set(),
    "strike": set(),
    "strong": set(),
    "p": set(),
    "br": set(),
}
URL_ATTRIBUTES = {"href", "cite"}
SAFE_SCHEMES = ("http:", "https:", "mailto:")
# What a browser ignores inside or around a URL: control characters and whitespace.
URL_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f\s]+")


class ParsedHTML(HTMLParser):
    """Record the elements, attributes and other markup a browser would see in HTML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.other: list[str] = []  # comments, declarations, processing instructions
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        # html.parser lowercases names and unescapes attribute values, as a browser does.
        self.elements.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.other.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.other.append(f"<!{decl}>")

    def unknown_decl(self, data):
        self.other.append(f"<![{data}]>")

    def handle_pi(self, data):
        self.other.append(f"<?{data}>")

    def tags(self) -> list[str]:
        return [tag for tag, _ in self.elements]

    def attributes(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]


def unsafe_markup(html: str) -> list[str]:
    """List everything in sanitised HTML that SPEC §3's allowlist (Markup) does not permit."""
    parsed = ParsedHTML(html)
    problems = list(parsed.other)
    for tag, attrs in parsed.elements:
        if tag not in COMMENT_ALLOWLIST:
            problems.append(f"element <{tag}>")
            continue
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"event handler {name} on <{tag}>")
            elif name not in COMMENT_ALLOWLIST[tag]:
                problems.append(f"attribute {name} on <{tag}>")
            elif name in URL_ATTRIBUTES:
                url = URL_NOISE.sub("", value or "").lower()
                if not url.startswith(SAFE_SCHEMES):
                    problems.append(f"{name}={value!r} on <{tag}>")
            elif name == "rel" and value != LINK_REL:
                problems.append(f"rel={value!r}")
    return problems


# Allowlist ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "markup",
    [
        '<abbr title="HyperText Markup Language">HTML</abbr>',
        "<b>bold</b>",
        '<blockquote cite="https://example.com/source">quoted</blockquote>',
        "<cite>A Book</cite>",
        "<code>x = 1</code>",
        '<del datetime="2024-05-01T12:00:00Z">gone</del>',
        "<em>stressed</em>",
        "<i>idiomatic</i>",
        '<q cite="https://example.com/source">said</q>',
        "<s>struck</s>",
        "<strike>struck</strike>",
        "<strong>strong</strong>",
    ],
    ids=lambda markup: re.match(r"<(\w+)", markup).group(1),
)
def test_allowlisted_tag_survives_with_its_attributes(markup):
    assert markup in comment_html(markup)


def test_link_survives_with_href_and_title():
    html = comment_html('<a href="https://example.com/" title="Example">site</a>')
    assert html == (
        f'<p><a href="https://example.com/" title="Example" rel="{LINK_REL}">site</a></p>'
    )


@pytest.mark.parametrize("attribute", ["style", "class", "id", "onclick", "onmouseover", "ONLOAD"])
@pytest.mark.parametrize(
    ("opening", "closing", "clean"),
    [
        ("<b", "</b>", "<b>text</b>"),
        ('<abbr title="t"', "</abbr>", '<abbr title="t">text</abbr>'),
        (
            '<a href="https://example.com/"',
            "</a>",
            f'<a href="https://example.com/" rel="{LINK_REL}">text</a>',
        ),
    ],
    ids=["b", "abbr", "a"],
)
def test_disallowed_attribute_is_removed(attribute, opening, closing, clean):
    typed = f'{opening} {attribute}="alert(1)">text{closing}'
    assert comment_html(typed) == f"<p>{clean}</p>"


@pytest.mark.parametrize(
    "tag",
    ["div", "span", "img", "script", "iframe", "table", "h1", "style", "form", "u", "sup"],
)
def test_disallowed_tag_is_shown_as_text(tag):
    assert comment_html(f"<{tag}>text</{tag}>") == f"<p>&lt;{tag}&gt;text&lt;/{tag}&gt;</p>"


def test_disallowed_tag_keeps_its_attributes_as_visible_text():
    html = comment_html('<img src="x" onerror="alert(1)">')
    assert html == '<p>&lt;img src="x" onerror="alert(1)"&gt;</p>'
    assert ParsedHTML(html).tags() == ["p"]


# Paragraphs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "html"),
    [
        ("one line", "<p>one line</p>"),
        ("first\n\nsecond", "<p>first</p><p>second</p>"),
        ("first\nsecond", "<p>first<br>\nsecond</p>"),
        ("a\nb\n\nc", "<p>a<br>\nb</p><p>c</p>"),
        ("first\n\n\n\n\nsecond", "<p>first</p><p>second</p>"),
        ("first\n  \t\n \n second", "<p>first</p><p>second</p>"),
        ("  \n\n  padded  \n\n  ", "<p>padded</p>"),
        ("\n\nfirst\n\nsecond\n\n", "<p>first</p><p>second</p>"),
    ],
    ids=[
        "single-line",
        "blank-line",
        "newline",
        "both",
        "many-blank-lines",
        "whitespace-only-lines",
        "surrounding-whitespace",
        "leading-and-trailing-blank-lines",
    ],
)
def test_blank_lines_make_paragraphs_and_newlines_make_breaks(typed, html):
    assert comment_html(typed) == html


@pytest.mark.parametrize("typed", ["", "   ", "\n\n\n", " \t\n \n"])
def test_blank_comment_makes_no_paragraph(typed):
    assert comment_html(typed) == ""


def test_paragraphs_leave_markup_to_the_sanitiser():
    assert paragraphs("<b>x</b>\n\ny") == "<p><b>x</b></p><p>y</p>"


def test_tag_spanning_a_blank_line_stays_balanced():
    html = comment_html("<b>one\n\ntwo</b>")
    assert html == "<p><b>one</b></p><p><b>two</b></p>"


# Links ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/",
        "https://example.com/path?a=1&b=2#top",
        "https://例え.jp/",
    ],
)
def test_bare_url_is_linkified(url):
    parsed = ParsedHTML(comment_html(f"see {url} now"))
    assert [attrs.get("href") for attrs in parsed.attributes("a")] == [url]


def test_linkified_url_leaves_trailing_punctuation_outside():
    html = comment_html("see https://example.com/.")
    assert html == (
        f'<p>see <a href="https://example.com/" rel="{LINK_REL}">https://example.com/</a>.</p>'
    )


@pytest.mark.parametrize(
    "typed",
    [
        '<a href="https://example.com/">typed</a>',
        "bare https://example.com/",
        '<a href="https://example.com/" rel="me">typed rel</a>',
        '<a href="https://example.com/" rel="dofollow external">two rels</a>',
        '<a href="https://example.com/" REL="follow">upper-case rel</a>',
        '<a href="mailto:reader@example.com">mail</a>',
        "<a>no href</a>",
    ],
)
def test_every_link_is_marked_user_content(typed):
    html = comment_html(typed)
    assert [attrs.get("rel") for attrs in ParsedHTML(html).attributes("a")] == [LINK_REL]
    assert html.lower().count("rel=") == 1


@pytest.mark.parametrize(
    "href",
    [
        "http://example.com/",
        "https://example.com/a?b=c",
        "HTTPS://EXAMPLE.COM/",
        "mailto:reader@example.com",
    ],
)
def test_http_https_and_mailto_hrefs_survive(href):
    parsed = ParsedHTML(comment_html(f'<a href="{href}">x</a>'))
    assert parsed.attributes("a") == [{"href": href, "rel": LINK_REL}]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://example.com/",
        "//evil.example/",
        "\\\\evil.example/",
        "/\\evil.example/",
        "/moderation/",
        "relative/page",
        "#fragment",
        "ja&Tab;vascript:alert(1)",
        "javascript&colon;alert(1)",
    ],
)
def test_href_without_an_allowed_scheme_is_dropped(href):
    parsed = ParsedHTML(comment_html(f'<a href="{href}">x</a>'))
    assert parsed.attributes("a") == [{"rel": LINK_REL}]


def test_javascript_href_is_dropped():
    assert comment_html('<a href="javascript:alert(1)">x</a>') == (
        f'<p><a rel="{LINK_REL}">x</a></p>'
    )


@pytest.mark.parametrize(
    ("tag", "cite", "kept"),
    [
        ("blockquote", "https://example.com/", True),
        ("q", "http://example.com/", True),
        ("blockquote", "javascript:alert(1)", False),
        ("q", "data:text/html,<script>alert(1)</script>", False),
        ("q", "//evil.example/", False),
    ],
)
def test_cite_follows_the_href_rule(tag, cite, kept):
    parsed = ParsedHTML(comment_html(f'<{tag} cite="{cite}">x</{tag}>'))
    assert parsed.attributes(tag) == [{"cite": cite} if kept else {}]


@pytest.mark.parametrize(
    "typed",
    [
        "<code>http://example.com/</code>",
        "<code>see https://example.com/ and www.example.com</code>",
        "<code><b>http://example.com/</b></code>",
    ],
)
def test_url_inside_code_is_not_linkified(typed):
    assert ParsedHTML(comment_html(typed)).attributes("a") == []


def test_url_after_code_is_still_linkified():
    html = comment_html("<code>http://a.example.com/</code> http://b.example.org/")
    assert [attrs["href"] for attrs in ParsedHTML(html).attributes("a")] == [
        "http://b.example.org/"
    ]


def test_url_inside_a_typed_link_is_not_linkified_again():
    html = comment_html('<a href="https://a.example.com/">see https://b.example.org/</a>')
    assert [attrs["href"] for attrs in ParsedHTML(html).attributes("a")] == [
        "https://a.example.com/"
    ]


# XSS vectors, mostly from the OWASP XSS Filter Evasion Cheat Sheet ----------------------

XSS_VECTORS = [
    pytest.param("<script>alert('XSS')</script>", id="script"),
    pytest.param("<ScRiPt>alert(1)</sCrIpT>", id="script-mixed-case"),
    pytest.param("<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>", id="script-src"),
    pytest.param('<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>', id="script-slash-attr"),
    pytest.param('<SCRIPT/SRC="http://xss.rocks/xss.js"></SCRIPT>', id="script-slash-src"),
    pytest.param('<<SCRIPT>alert("XSS");//\\<</SCRIPT>', id="double-open-bracket"),
    pytest.param("<SCRIPT SRC=http://xss.rocks/xss.js?< B >", id="script-no-close"),
    pytest.param("<SCRIPT SRC=//xss.rocks/.j>", id="script-protocol-relative"),
    pytest.param('<SCRIPT a=">" SRC="httx://xss.rocks/xss.js"></SCRIPT>', id="script-gt-in-attr"),
    pytest.param("%3Cscript%3Ealert(1)%3C/script%3E", id="script-url-encoded"),
    pytest.param("&lt;script&gt;alert(1)&lt;/script&gt;", id="script-entity-encoded"),
    pytest.param("\x00<script>alert(1)</script>", id="script-after-null"),
    pytest.param("<scr<script>ipt>alert(1)</script>", id="script-nested-split"),
    pytest.param("<IMG SRC=\"javascript:alert('XSS');\">", id="img-javascript"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param("<IMG SRC=# onmouseover=\"alert('xxs')\">", id="img-onmouseover"),
    pytest.param('<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>', id="img-fcc"),
    pytest.param('<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>', id="malformed-img"),
    pytest.param("<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>", id="img-backticks"),
    pytest.param("<svg/onload=alert('XSS')>", id="svg-onload"),
    pytest.param("<svg><script>alert(1)</script></svg>", id="svg-script"),
    pytest.param("<BODY ONLOAD=alert('XSS')>", id="body-onload"),
    pytest.param("<a href=\"javascript:alert('XSS')\">x</a>", id="a-javascript"),
    pytest.param("<a href=JaVaScRiPt:alert(1)>x</a>", id="a-javascript-case"),
    pytest.param(
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;'
        '&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;">x</a>',
        id="a-decimal-entities",
    ),
    pytest.param(
        '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
        "&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114"
        '&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">x</a>',
        id="a-padded-decimal-entities",
    ),
    pytest.param(
        '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A'
        '&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29">x</a>',
        id="a-hex-entities",
    ),
    pytest.param('<a href="&#106;avascript:alert(1)">x</a>', id="a-first-letter-entity"),
    pytest.param("<a href=\"jav\tascript:alert('XSS');\">x</a>", id="a-embedded-tab"),
    pytest.param("<a href=\"jav&#x09;ascript:alert('XSS');\">x</a>", id="a-encoded-tab"),
    pytest.param("<a href=\"jav&#x0A;ascript:alert('XSS');\">x</a>", id="a-encoded-newline"),
    pytest.param("<a href=\"jav&#x0D;ascript:alert('XSS');\">x</a>", id="a-encoded-cr"),
    pytest.param("<a href=\"jav\nascript:alert('XSS');\">x</a>", id="a-embedded-newline"),
    pytest.param("<a href=\"java\x00script:alert('XSS')\">x</a>", id="a-null-byte"),
    pytest.param("<a href=\" &#14;  javascript:alert('XSS');\">x</a>", id="a-leading-junk"),
    pytest.param('<a href="ja&Tab;vascript:alert(1)">x</a>', id="a-named-tab-entity"),
    pytest.param('<a href="javascript&colon;alert(1)">x</a>', id="a-named-colon-entity"),
    pytest.param("<a href=`javascript:alert(1)`>x</a>", id="a-backtick-attribute"),
    pytest.param(
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">x</a>',
        id="a-data-base64",
    ),
    pytest.param('<a href="vbscript:msgbox(1)">x</a>', id="a-vbscript"),
    pytest.param('<a href="//xss.rocks/xss.js">x</a>', id="a-protocol-relative"),
    pytest.param('<a href="\\\\xss.rocks/">x</a>', id="a-backslash-relative"),
    pytest.param('<a title="x" onmouseover=alert(1)>x</a>', id="a-title-onmouseover"),
    pytest.param(
        '<a title="x" onmouseover="alert(1)" href="https://e.example/">x</a>',
        id="a-onmouseover-with-href",
    ),
    pytest.param('<a title="&quot; onmouseover=&quot;alert(1)">x</a>', id="title-entity-quote"),
    pytest.param("<a title='x\" onmouseover=\"alert(1)'>x</a>", id="title-single-quoted"),
    pytest.param('<a title="x"onmouseover="alert(1)">x</a>', id="title-no-space"),
    pytest.param(
        '<a href="https://e.example/" title="\\"><script>alert(1)</script>">',
        id="title-backslash-quote",
    ),
    pytest.param('<a href="javascript:alert(1)"', id="unclosed-a"),
    pytest.param("<img src=x onerror=alert(1)//", id="unclosed-img"),
    pytest.param("<b onmouseover=alert(1)>x", id="unclosed-b"),
    pytest.param("<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>", id="iframe"),
    pytest.param("<iframe src=http://xss.rocks/scriptlet.html <", id="iframe-unclosed"),
    pytest.param(
        '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.rocks/scriptlet.html"></OBJECT>',
        id="object",
    ),
    pytest.param(
        '<EMBED SRC="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+"'
        ' type="image/svg+xml" AllowScriptAccess="always"></EMBED>',
        id="embed",
    ),
    pytest.param(
        '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
        id="meta-refresh",
    ),
    pytest.param(
        '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,'
        'PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
        id="meta-refresh-data",
    ),
    pytest.param('<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">', id="link"),
    pytest.param("<STYLE>@import'http://xss.rocks/xss.css';</STYLE>", id="style-import"),
    pytest.param("<DIV STYLE=\"width: expression(alert('XSS'));\">", id="div-expression"),
    pytest.param("<b style=\"background:url(javascript:alert('XSS'))\">x</b>", id="b-style"),
    pytest.param('<XSS STYLE="behavior: url(xss.htc);">', id="behavior"),
    pytest.param("<TABLE BACKGROUND=\"javascript:alert('XSS')\">", id="table-background"),
    pytest.param("<BGSOUND SRC=\"javascript:alert('XSS');\">", id="bgsound"),
    pytest.param("<!--<script>alert(1)</script>-->", id="comment"),
    pytest.param("<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->", id="cond-comment"),
    pytest.param("<![CDATA[<script>alert(1)</script>]]>", id="cdata"),
    pytest.param("<!DOCTYPE html><html><script>alert(1)</script>", id="doctype"),
    pytest.param("<?xml version='1.0'?><script>alert(1)</script>", id="processing-instruction"),
    pytest.param("<BASE HREF=\"javascript:alert('XSS');//\">", id="base-href"),
    pytest.param('<form action="javascript:alert(1)"><input type=submit></form>', id="form-action"),
    pytest.param("<input onfocus=alert(1) autofocus>", id="input-autofocus"),
    pytest.param("<details open ontoggle=alert(1)>", id="details-ontoggle"),
    pytest.param(
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">', id="mxss-noscript"
    ),
    pytest.param("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", id="mxss-math"),
    pytest.param('<q cite="javascript:alert(1)">x</q>', id="q-cite-javascript"),
    pytest.param(
        '<blockquote cite="data:text/html,x" onclick=alert(1)>x</blockquote>',
        id="blockquote-data-cite-onclick",
    ),
    pytest.param('<abbr title="x" onmouseover="alert(1)">x</abbr>', id="abbr-on"),
    pytest.param('<del datetime="x" onclick="alert(1)">x</del>', id="del-on"),
    pytest.param('<p onclick="alert(1)" style="x">x</p>', id="p-attributes"),
    pytest.param("<br onclick=alert(1)>", id="br-attributes"),
    pytest.param("</p><img src=x onerror=alert(1)><p>", id="break-out-of-paragraph"),
    pytest.param("<code><script>alert(1)</script></code>", id="script-in-code"),
    pytest.param('http://example.com/"onmouseover="alert(1)', id="linkify-quote"),
    pytest.param("https://example.com/<script>alert(1)</script>", id="linkify-script"),
    pytest.param(
        '<a href="https://example.com/">https://e.example/"><script>x</script></a>',
        id="script-in-link-text",
    ),
    pytest.param("line one\n\n<script>alert(1)</script>\nline two", id="script-across-lines"),
]


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_xss_vector_comes_out_harmless(vector):
    assert unsafe_markup(comment_html(vector)) == []


@pytest.mark.parametrize(
    "vector",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
    ],
)
def test_xss_vector_is_shown_as_text(vector):
    html = comment_html(vector)
    assert ParsedHTML(html).tags() == ["p"]
    assert "&lt;" in html


def test_checker_notices_unsafe_markup():
    """The XSS table relies on this checker, so it must be able to fail."""
    assert unsafe_markup(
        '<p><a href=" java\tscript:x" onclick="x" style="x">x</a><img src=x><!--c--></p>'
    ) == [
        "<!--c-->",
        "href=' java\\tscript:x' on <a>",
        "event handler onclick on <a>",
        "attribute style on <a>",
        "element <img>",
    ]


# Post bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "markup",
    [
        "<h2>Heading</h2>",
        "<h3>Subheading</h3>",
        "<ul><li>one</li><li>two</li></ul>",
        '<img src="https://example.com/a.png" alt="A picture">',
        '<a href="/posts/other/">another post</a>',
    ],
)
def test_article_keeps_its_wider_allowlist(markup):
    assert article_html(markup) == markup


def test_article_drops_script():
    html = article_html("<h2>Title</h2><script>alert(1)</script>")
    assert "script" not in ParsedHTML(html).tags()
    assert "<script" not in html.lower()


@pytest.mark.parametrize(
    ("markup", "clean"),
    [
        ('<h2 onclick="alert(1)">Title</h2>', "<h2>Title</h2>"),
        (
            '<img src="https://example.com/a.png" onerror="alert(1)">',
            '<img src="https://example.com/a.png">',
        ),
        ('<li onmouseover="alert(1)" style="x">item</li>', "<li>item</li>"),
    ],
)
def test_article_drops_event_handlers(markup, clean):
    assert article_html(markup) == clean


def test_article_drops_javascript_image_source():
    html = article_html('<img src="javascript:alert(1)" alt="x">')
    assert ParsedHTML(html).attributes("img") == [{"alt": "x"}]
