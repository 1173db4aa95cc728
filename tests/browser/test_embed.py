"""embed.js on another site, in a real Chromium (issue 13, "Done when").

A static page of blog.test embeds the comments of comments.test: two different sites,
both mapped to 127.0.0.1 (tests/browser/conftest.py, --host-resolver-rules). The blog's
page is served by a second local server (tests/sources.py) with the strict
Content-Security-Policy the README asks of a blog; the service runs as deployed (CSRF, the
form's time trap, the flood rule and rate limits on). other.test is a site nobody
registered.
"""

from dataclasses import dataclass
from html import escape
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from moderation.infra import db
from moderation.rules.statuses import EntryType, MentionKind
from moderation.services import sites
from moderation.services.linkbacks import recording
from tests.browser.axe import assert_accessible
from tests.browser.test_comment_form import watch_for_csp
from tests.helpers import (
    COMMENT,
    add_approved_comment,
    approve,
    entries,
    save_settings,
    time_passes,
)
from tests.sources import SourceServer

TITLE = "A walk along the river"
PATH = "/river-walk.html"
AWAITING = "Your comment is awaiting moderation."
LOAD_FAILED = "The comments could not be loaded."


@pytest.fixture
def app(make_app):
    """The service at comments.test: it answers to that host name alone (a request with
    any other Host gets 400), and takes its own address from it."""
    return make_app(TRUSTED_HOSTS=["comments.test"])


@dataclass(frozen=True)
class Blog:
    """blog.test's pages, and the comments service they embed."""

    server: SourceServer
    comments: str  # http://comments.test:<port>

    @property
    def origin(self) -> str:
        return f"http://blog.test:{self.server.port}"

    def csp(self) -> str:
        """The policy the README asks of a blog that embeds the comments: nothing inline."""
        return (
            f"default-src 'self'; script-src 'self' {self.comments}; "
            f"connect-src {self.comments}; img-src 'self' {self.comments}; "
            f"frame-src {self.comments}; style-src 'self'; object-src 'none'; base-uri 'none'"
        )

    def serve(self, path: str, body: str) -> str:
        self.server.page(path, page_html(body), headers={"Content-Security-Policy": self.csp()})
        return self.origin + path

    def post(self, path: str = PATH, title: str = TITLE, host: str = "blog.test") -> str:
        """A post of the blog that embeds its comments; its address on `host`."""
        body = (
            f"<article><h1>{escape(title)}</h1><p>The towpath is open again.</p></article>\n"
            '<div id="comments"></div>\n'
            f'<script src="{self.comments}/embed.js" data-url="{self.origin}{path}"'
            f' data-title="{escape(title)}" async></script>'
        )
        return self.serve(path, body).replace("blog.test", host, 1)


def page_html(body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>The blog</title></head>"
        f"<body><main>\n{body}\n</main></body></html>"
    )


@pytest.fixture
def blog(app, live_server, source_server) -> Blog:
    """blog.test, registered as a site of the service at comments.test."""
    blog = Blog(source_server, live_server.replace("127.0.0.1", "comments.test"))
    with app.app_context():
        session = db.get_session()
        sites.add_site(session, blog.origin, "The blog")
        session.commit()
    return blog


@pytest.fixture
def reader(new_context):
    """A new reader: a browser context of their own, with JavaScript on."""
    return lambda: new_context(java_script_enabled=True).new_page()


def thread_of(app, url: str, title: str = TITLE):
    """The post of a blog page's thread, made as its first comment would make it."""
    with app.app_context():
        session = db.get_session()
        post = sites.thread_for(session, url, title)
        session.commit()
        return post


def add_reaction(app, post, kind: MentionKind, author: str) -> None:
    """An approved webmention of `kind` (a like, a repost), as the verifying job records it."""
    with app.app_context():
        session = db.get_session()
        entry = recording.record_linkback(
            session,
            post,
            EntryType.WEBMENTION,
            f"https://{author.lower().replace(' ', '-')}.example/{kind.value}",
            author,
            "",
            mention_kind=kind,
        )
        session.commit()
    approve(app, entry.id)


def field(page, name: str):
    """The form control whose accessible name is `name` (its label without "*"); the
    blog's page has none but the embed's."""
    return page.get_by_role("textbox", name=name, exact=True)


def fill_form(page, **fields) -> None:
    values = {**COMMENT, **fields}
    for name in ("Comment", "Name", "Email", "Website"):
        field(page, name).fill(values[name.lower()])


def send(page, clock, typing_seconds: float = 30):
    """Press "Post Comment" `typing_seconds` after the thread (and its form stamp) came,
    and return the answer to the API's POST."""
    clock.advance(typing_seconds)
    with page.expect_response(
        lambda response: (
            response.request.method == "POST" and response.url.endswith("/api/v1/comments")
        )
    ) as posted:
        page.locator("#comments").get_by_role("button", name="Post Comment").click()
    return posted.value


def open_thread(page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Leave a Comment")).to_be_visible()


def test_thread_shows_and_the_author_alone_sees_a_pending_comment_until_it_is_approved(
    app, blog, reader, clock
):
    url = blog.post()
    add_approved_comment(app, thread_of(app, url), name="Grace Hopper", text="A first thought.")
    author = reader()
    messages = watch_for_csp(author)

    open_thread(author, url)
    expect(author.get_by_role("heading", name=f"1 thought on “{TITLE}”")).to_be_visible()
    expect(author.locator("#comments .mc-entry")).to_have_count(1)
    expect(author.get_by_text("A first thought.")).to_be_visible()
    fill_form(author, comment="Seen from another site.")
    assert send(author, clock).status == 201

    own = author.locator("#comments li.mc-pending")
    expect(own).to_have_count(1)
    expect(own.locator(".mc-text")).to_have_text("Seen from another site.")
    expect(own.locator(".mc-awaiting")).to_have_text(AWAITING)
    expect(own).to_be_focused()
    expect(field(author, "Comment")).to_have_value("")
    assert author.evaluate("window.__violations") == []
    author.reload()
    expect(author.locator("#comments li.mc-pending .mc-text")).to_have_text(
        "Seen from another site."
    )
    assert author.evaluate("window.__violations") == []
    assert not [message for message in messages if "Content Security Policy" in message]

    other = reader()
    open_thread(other, url)
    expect(other.get_by_text("A first thought.")).to_be_visible()
    expect(other.get_by_text("Seen from another site.")).to_have_count(0)
    expect(other.get_by_text(AWAITING)).to_have_count(0)

    approve(app, entries(app)[0].id)
    later = reader()  # a reader whose browser has not kept the thread's answer
    open_thread(later, url)
    expect(later.get_by_role("heading", name=f"2 thoughts on “{TITLE}”")).to_be_visible()
    expect(later.locator("#comments .mc-entry .mc-text")).to_have_text(
        ["A first thought.", "Seen from another site."]
    )
    expect(later.get_by_text(AWAITING)).to_have_count(0)


def test_a_reply_is_written_in_place_under_its_parent_and_shows_nested(app, blog, reader, clock):
    url = blog.post()
    parent = add_approved_comment(app, thread_of(app, url), name="Grace Hopper", text="Parent.")
    page = reader()
    open_thread(page, url)
    parent_item = page.locator(f"#comment-{parent.id}")

    parent_item.get_by_role("button", name="Reply to Grace Hopper").click()

    form = parent_item.locator("form")
    expect(form).to_have_count(1)
    expect(page.locator("#comments").get_by_role("heading", level=2).last).to_have_text(
        "Reply to Grace Hopper Cancel reply"
    )
    expect(field(page, "Comment")).to_be_focused()
    page.get_by_role("button", name="Cancel reply").click()
    expect(parent_item.locator("form")).to_have_count(0)
    expect(parent_item.get_by_role("button", name="Reply to Grace Hopper")).to_be_focused()
    expect(page.get_by_role("heading", name="Leave a Comment")).to_be_visible()

    parent_item.get_by_role("button", name="Reply to Grace Hopper").click()
    fill_form(page, comment="An answer in the thread.")
    assert send(page, clock).status == 201

    reply = parent_item.locator("> ol.mc-children > li.mc-pending")
    expect(reply.locator(".mc-text")).to_have_text("An answer in the thread.")
    expect(reply.locator(".mc-awaiting")).to_have_text(AWAITING)
    expect(page.get_by_role("heading", name="Leave a Comment")).to_be_visible()
    assert reply.bounding_box()["x"] > parent_item.bounding_box()["x"]


def test_field_errors_show_beside_their_fields_and_what_was_typed_stays(app, blog, reader, clock):
    url = blog.post()
    page = reader()
    open_thread(page, url)
    fill_form(page, comment="Kept after the errors.", name="   ", email="not an address")

    assert send(page, clock).status == 400

    name = page.locator(".mc-field").filter(has=field(page, "Name"))
    email = page.locator(".mc-field").filter(has=field(page, "Email"))
    expect(name.locator(".mc-field-error")).to_have_text("Please enter your name.")
    expect(email.locator(".mc-field-error")).to_have_text("Please enter a valid email address.")
    expect(page.locator(".mc-field-error")).to_have_count(2)
    expect(field(page, "Name")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "Name")).to_have_accessible_description("Please enter your name.")
    expect(field(page, "Name")).to_be_focused()
    expect(field(page, "Comment")).to_have_value("Kept after the errors.")
    expect(field(page, "Email")).to_have_value("not an address")
    expect(field(page, "Website")).to_have_value(COMMENT["website"])
    assert entries(app) == []

    fill_form(page, comment="Kept after the errors.")
    assert send(page, clock).status == 201
    expect(page.locator(".mc-field-error")).to_have_count(0)
    expect(page.locator("#comments li.mc-pending .mc-text")).to_have_text("Kept after the errors.")


def test_a_refusal_of_the_whole_comment_shows_in_the_forms_alert(app, blog, reader, clock):
    url = blog.post()
    page = reader()
    open_thread(page, url)
    fill_form(page, comment="Said once.")
    assert send(page, clock).status == 201
    # The script empties the comment, then reloads the thread, and takes no other comment
    # until the first one shows: only then type again, as a reader would.
    expect(page.locator("#comments li.mc-pending .mc-text")).to_have_text("Said once.")

    fill_form(page, comment="Said twice, too soon.")
    assert send(page, clock).status == 429

    expect(page.locator("#comments").get_by_role("alert")).to_have_text(
        "You are posting comments too quickly. Slow down."
    )
    expect(field(page, "Comment")).to_have_value("Said twice, too soon.")


def test_preview_shows_the_comment_sanitised_as_it_will_be_published(blog, reader):
    page = reader()
    open_thread(page, blog.post())
    field(page, "Comment").fill("Some <b>bold</b> words <script>alert(1)</script>")

    page.get_by_role("button", name="Preview").click()

    preview = page.locator(".mc-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("b")).to_have_text("bold")
    expect(preview.locator("script")).to_have_count(0)
    expect(preview.locator(".mc-text")).to_contain_text("<script>alert(1)</script>")


def test_names_and_links_from_readers_are_shown_as_text(app, blog, reader):
    url = blog.post()
    add_approved_comment(
        app,
        thread_of(app, url),
        name='<img src=x onerror="document.title=1">Mallory',
        website="javascript:alert(1)",
        text="<img src=x onerror=alert(1)> and <i>a word</i>",
    )
    page = reader()
    open_thread(page, url)

    entry = page.locator("#comments .mc-entry")
    expect(entry.locator(".mc-author")).to_have_text(
        '<img src=x onerror="document.title=1">Mallory'
    )
    expect(entry.locator("img:not(.mc-avatar)")).to_have_count(0)
    expect(entry.locator(".mc-author a")).to_have_count(0)
    expect(entry.locator(".mc-text i")).to_have_text("a word")


def test_remember_me_keeps_the_details_only_while_its_box_is_ticked(app, blog, reader, clock):
    url = blog.post()
    page = reader()
    open_thread(page, url)
    remember = page.get_by_role(
        "checkbox",
        name="Save my name, email, and website in this browser for the next time I comment.",
    )
    expect(remember).not_to_be_checked()
    fill_form(page, comment="Not remembered.")
    assert send(page, clock).status == 201
    expect(field(page, "Comment")).to_have_value("")  # the script has handled the answer
    page.reload()
    expect(field(page, "Name")).to_have_value("")
    assert COMMENT["email"] not in page.evaluate("JSON.stringify(localStorage)")

    fill_form(page, comment="Remembered.")
    remember.check()
    time_passes(app)
    assert send(page, clock).status == 201
    # The script stores the details once it has read the answer: only then reload.
    expect(field(page, "Comment")).to_have_value("")
    page.reload()
    expect(field(page, "Name")).to_have_value(COMMENT["name"])
    expect(field(page, "Email")).to_have_value(COMMENT["email"])
    expect(field(page, "Website")).to_have_value(COMMENT["website"])
    expect(remember).to_be_checked()

    remember.uncheck()
    assert COMMENT["email"] not in page.evaluate("JSON.stringify(localStorage)")
    page.reload()
    expect(field(page, "Name")).to_have_value("")


def test_pages_of_comments_load_in_place(app, blog, reader):
    save_settings(app, comments_per_page=2)
    url = blog.post()
    post = thread_of(app, url)
    for number in range(1, 6):
        add_approved_comment(app, post, text=f"Comment number {number}.")
    page = reader()
    open_thread(page, url)
    expect(page.get_by_role("heading", name=f"5 thoughts on “{TITLE}”")).to_be_visible()
    expect(page.locator("#comments .mc-entry .mc-text")).to_have_text(
        ["Comment number 1.", "Comment number 2."]
    )
    pages = page.get_by_role("navigation", name="Comment pages")

    pages.get_by_role("button", name="Page 3").click()

    expect(page.locator("#comments .mc-entry .mc-text")).to_have_text(["Comment number 5."])
    expect(pages.locator("[aria-current=page]")).to_have_text("3")
    expect(page.get_by_role("heading", name=f"5 thoughts on “{TITLE}”")).to_be_focused()
    pages.get_by_role("button", name="← Older comments").click()
    expect(page.locator("#comments .mc-entry .mc-text")).to_have_text(
        ["Comment number 3.", "Comment number 4."]
    )


def test_count_links_of_a_listing_page_fill_from_one_request(app, blog, reader):
    busy = blog.origin + "/busy.html"
    quiet = blog.origin + "/quiet.html"
    for text in ("One.", "Two."):
        add_approved_comment(app, thread_of(app, busy, "Busy"), text=text)
    add_approved_comment(app, thread_of(app, quiet, "Quiet"), text="Only one.")
    listing = blog.serve(
        "/",
        "<h1>Posts</h1><ul>"
        '<li><a data-comments-count href="/busy.html#comments">Comments</a></li>'
        '<li><a data-comments-count href="quiet.html">Comments</a></li>'
        '<li><a data-comments-count href="/new.html">Comments</a></li>'
        '<li><a data-comments-count data-comments-count-format="Be the first|One reply|{n} replies"'
        ' href="/busy.html">Replies</a></li></ul>'
        f'<script src="{blog.comments}/embed.js" async></script>',
    )
    page = reader()
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(listing)

    counts = page.locator("[data-comments-count]")
    expect(counts).to_have_text(["2 comments", "1 comment", "No comments", "2 replies"])
    assert len([url for url in requested if "/api/v1/counts?" in url]) == 1
    assert not [url for url in requested if "/api/v1/thread" in url]


def test_an_unregistered_origin_gets_no_cors_and_cannot_frame_the_thread(app, blog, reader):
    other = f"http://other.test:{blog.server.port}"
    thread_url = blog.origin + PATH
    thread_api = f"{blog.comments}/api/v1/thread?url={quote(thread_url)}"
    blog.serve(
        "/framed.html",
        f'<iframe src="{blog.comments}/embed/thread?url={quote(thread_url)}" title="Comments">'
        "</iframe>",
    )
    page = reader()
    messages = watch_for_csp(page)

    page.goto(blog.post(host="other.test"))  # the blog's page, copied to another site

    expect(page.locator("#comments")).to_contain_text(LOAD_FAILED)
    expect(page.get_by_role("heading", name="Leave a Comment")).to_have_count(0)
    fetched = page.evaluate("url => fetch(url).then(() => 'read', () => 'refused')", thread_api)
    assert fetched == "refused"
    client = app.test_client()  # the same request as the browser's, read whole
    for sender, allowed in ((other, None), (blog.origin, blog.origin)):
        answer = client.get(thread_api, base_url=blog.comments, headers={"Origin": sender})
        assert answer.status_code == 200
        assert answer.headers.get("Access-Control-Allow-Origin") == allowed

    page.goto(f"{other}/framed.html")
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name="Leave a Comment")).to_have_count(0)
    assert [message for message in messages if "frame-ancestors" in message]

    page.goto(blog.origin + "/framed.html")  # the registered site may frame it
    expect(frame.get_by_role("heading", name="Leave a Comment")).to_be_visible()


def test_axe_finds_no_violations_in_the_embed(app, blog, reader, clock):
    url = blog.post()
    post = thread_of(app, url)
    parent = add_approved_comment(app, post, name="Grace Hopper", text="A first thought.")
    add_approved_comment(app, post, name="Alan Turing", text="An answer.", parent_id=parent.id)
    with app.app_context():
        session = db.get_session()
        pingback = recording.record_linkback(
            session, post, EntryType.PINGBACK, "https://elsewhere.example/", "A Blog", "[…] here"
        )
        session.commit()
    approve(app, pingback.id)
    add_reaction(app, post, MentionKind.LIKE, "Ada Lovelace")
    add_reaction(app, post, MentionKind.REPOST, "Katherine Johnson")
    page = reader()
    open_thread(page, url)
    expect(page.locator("#comments .mc-linkback")).to_contain_text("Pingback: A Blog")
    expect(page.get_by_role("heading", name="1 like")).to_be_visible()
    expect(page.get_by_role("heading", name="1 repost")).to_be_visible()

    assert_accessible(page)

    page.locator(f"#comment-{parent.id}").get_by_role(
        "button", name="Reply to Grace Hopper"
    ).click()
    fill_form(page, comment="", name="", email="")
    assert send(page, clock).status == 400
    expect(page.locator(".mc-field-error")).to_have_count(3)
    assert_accessible(page)


def test_the_embed_takes_the_pages_font_and_its_theme_colours(blog, reader):
    blog.server.page(
        "/theme.css",
        "body { font-family: monospace; } #comments { --moderation-accent: rgb(122, 59, 18); }",
        content_type="text/css",
    )
    url = blog.serve(
        "/themed.html",
        '<link rel="stylesheet" href="/theme.css"><div id="comments"></div>'
        f'<script src="{blog.comments}/embed.js" data-url="{blog.origin}{PATH}" async></script>',
    )
    page = reader()
    open_thread(page, url)

    button = page.get_by_role("button", name="Post Comment")
    assert button.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(122, 59, 18)"
    font = field(page, "Comment").evaluate("el => getComputedStyle(el).fontFamily")
    assert font == "monospace"


def test_a_frame_of_the_thread_grows_to_its_content_beside_the_script(blog, reader):
    thread_url = quote(blog.origin + PATH, safe="")
    url = blog.serve(
        "/framed.html",
        f'<iframe src="{blog.comments}/embed/thread?url={thread_url}" title="Comments"></iframe>'
        f'<script src="{blog.comments}/embed.js" async></script>',
    )
    page = reader()

    page.goto(url)

    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name="Leave a Comment")).to_be_visible()
    page.wait_for_function("document.querySelector('iframe').offsetHeight > 400")
    inside = frame.locator("html").evaluate("html => html.scrollHeight")
    assert abs(page.locator("iframe").evaluate("frame => frame.clientHeight") - inside) <= 2
