"""The embed frame with JavaScript off, in a real Chromium (issue 13, "Done when": with
JavaScript off, the iframe form posts and shows the pending comment).

A static page of blog.test, served by a second local server (tests/sources.py), holds
`<iframe src="https://comments.test:<port>/embed/thread?url=…">`: two different sites,
both mapped to 127.0.0.1 (tests/browser/conftest.py, --host-resolver-rules). The service
runs as deployed: CSRF, the form's time trap, the flood rule and rate limits on.

Both are served over https (a self-signed certificate the browser is told to accept):
inside another site's frame the browser keeps no Lax cookie, so the reader's own pending
comment lives in a Partitioned cookie, which must be Secure (web/cookies.py). Over plain
http the frame's form still posts, but its author would not see the comment.
"""

import re
import ssl
import threading
from collections.abc import Iterator
from html import escape
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from moderation.infra import db
from moderation.services import sites
from tests.certificates import self_signed
from tests.helpers import COMMENT, entries
from tests.sources import SourceServer

TITLE = "A walk along the river"
PATH = "/river-walk.html"
AWAITING = "Your comment is awaiting moderation."
# What embed.js does with the frame's messages, reduced to keeping them.
HEIGHT_LISTENER = (
    "window.told = []; window.addEventListener('message', function (event) {"
    " window.told.push({origin: event.origin, data: event.data}); });"
)


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> ssl.SSLContext:
    """A server context with a self-signed certificate for comments.test and blog.test."""
    cert, key = self_signed(tmp_path_factory.mktemp("tls"), "comments.test", "blog.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def app(make_app):
    """The service at comments.test: it answers to that host name alone and takes its own
    address from it (TRUSTED_HOSTS)."""
    return make_app(TRUSTED_HOSTS=["comments.test"])


@pytest.fixture
def service(app, tls) -> Iterator[str]:
    """The app served over https by a threaded server (as tests/conftest.py live_server
    serves it over http); yields its address at comments.test."""
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=tls)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"https://comments.test:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def framed_post(app, service, tls) -> Iterator[str]:
    """A post of blog.test (a registered site) that frames its comments; its address."""
    with SourceServer(tls=tls) as blog_server:
        blog = f"https://blog.test:{blog_server.port}"
        with app.app_context():
            session = db.get_session()
            sites.add_site(session, blog, "The blog")
            session.commit()
        frame = f"{service}/embed/thread?" + urlencode({"url": blog + PATH, "title": TITLE})
        blog_server.page(
            PATH,
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>The blog</title></head><body><main><h1>{escape(TITLE)}</h1>"
            "<p>The towpath is open again.</p>"
            f'<iframe src="{escape(frame)}" title="Comments" width="600" height="2500">'
            f"</iframe></main><script>{HEIGHT_LISTENER}</script></body></html>",
        )
        yield blog + PATH


def reader_page(new_context):
    """A reader with scripts off, whose browser accepts the test certificate."""
    return new_context(java_script_enabled=False, ignore_https_errors=True).new_page()


def field(frame, name: str):
    return frame.get_by_role("textbox", name=name, exact=True)


def test_without_javascript_the_frames_form_posts_and_shows_the_pending_comment(
    app, new_context, framed_post, clock
):
    page = reader_page(new_context)
    page.goto(framed_post)
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name="Leave a Comment")).to_be_visible()
    expect(frame.get_by_text("Required fields are marked")).to_be_visible()
    field(frame, "Comment").fill("Posted from inside the frame.")
    for label, key in (("Name", "name"), ("Email", "email"), ("Website", "website")):
        field(frame, label).fill(COMMENT[key])

    clock.advance(30)  # the reader's time on the form (tests/conftest.py)
    with page.expect_response(
        lambda response: (
            response.request.method == "POST" and response.url.endswith("/embed/thread/comments")
        )
    ) as posted:
        frame.get_by_role("button", name="Post Comment").click()

    assert posted.value.status == 303
    own = frame.locator("li.entry.pending")
    expect(own.locator(".entry-text")).to_have_text("Posted from inside the frame.")
    expect(own.locator(".awaiting")).to_have_text(AWAITING)
    expect(page).to_have_url(framed_post)  # the blog's page stayed where it was
    assert re.search(r"/embed/thread\?url=.*#comment-\d+$", page.frames[1].url)
    [entry] = entries(app)
    assert (entry.status, entry.body) == ("pending", "Posted from inside the frame.")
    # Kept for the blog's pages alone (CHIPS): the partition is the top-level site's.
    [cookie] = [c for c in page.context.cookies() if c["name"] == "own_entries"]
    assert (cookie["domain"], cookie["secure"], cookie["sameSite"]) == (
        "comments.test",
        True,
        "None",
    )
    assert cookie.get("partitionKey", "").startswith("https://blog.test")

    other = reader_page(new_context)
    other.goto(framed_post)
    other_frame = other.frame_locator("iframe")
    expect(other_frame.get_by_role("heading", name="Leave a Comment")).to_be_visible()
    expect(other_frame.get_by_text("Posted from inside the frame.")).to_have_count(0)
    expect(other_frame.locator("li.entry")).to_have_count(0)


def test_with_javascript_the_frame_tells_the_blog_its_height(new_context, service, framed_post):
    page = new_context(java_script_enabled=True, ignore_https_errors=True).new_page()
    page.goto(framed_post)
    expect(page.frame_locator("iframe").get_by_text("Leave a Comment")).to_be_visible()

    page.wait_for_function("window.told.length > 0")

    [message, *_] = page.evaluate("window.told")
    assert message["origin"] == service
    assert message["data"]["type"] == "moderation:height"
    assert 300 < message["data"]["height"] < 2000  # the content's height, not the frame's 2500
