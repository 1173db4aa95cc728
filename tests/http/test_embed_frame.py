"""The embed frame (issue 13, "Without JavaScript"): a registered site's page shows its
thread and a working form in `<iframe src="/embed/thread?url=…">`. The form needs no
session cookie: the signed form stamp and an Origin/Referer check guard it; the reader's
own pending comment is kept in a Partitioned cookie behind https; the frame is framed by
registered sites only, and is a cacheable read for a reader with nothing pending."""

import re
from dataclasses import replace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.globals import request_ctx

from moderation.infra import db
from moderation.rules.statuses import Status
from moderation.services import sites
from moderation.web import intake
from tests.forms import Form, page_form, parse_form, send
from tests.helpers import COMMENT, add_comment, approve, entries, reader, save_settings

SITE = "https://blog.example"
PAGE = f"{SITE}/2024/05/hello/"
OURS = "http://localhost"  # the test client's address, which TRUSTED_HOSTS vouches for
FOREIGN = "https://elsewhere.example"
AWAITING = "Your comment is awaiting moderation."


@pytest.fixture
def app(make_app):
    """The app as deployed, knowing its own address (SPEC §4, own address)."""
    return make_app(TRUSTED_HOSTS=["localhost"])


@pytest.fixture
def blog(app) -> str:
    """A registered site; yields its origin."""
    with app.app_context():
        session = db.get_session()
        sites.add_site(session, SITE, name="The Blog")
        session.commit()
    return SITE


@pytest.fixture
def thread(app, blog) -> str:
    """The thread of PAGE, created as its first comment would; yields its slug."""
    with app.app_context():
        session = db.get_session()
        slug = sites.thread_for(session, PAGE, "Hello, World").slug
        session.commit()
    return slug


def frame_url(url: str = PAGE, **params) -> str:
    return "/embed/thread?" + urlencode({"url": url, **params})


def address(href: str) -> tuple:
    """A link's path, query parameters and fragment, however its query is escaped."""
    parts = urlsplit(href)
    return parts.path, parse_qs(parts.query), parts.fragment


def frame_form(client, url: str = PAGE, request: dict | None = None, **params) -> Form:
    """The comment form as the frame rendered it, hidden fields included."""
    return page_form(client, frame_url(url, **params), "form.comment-form", request)


def send_from_frame(
    client,
    form: Form,
    origin: str | None = OURS,
    typing_seconds: float = 30,
    request: dict | None = None,
    **fields,
):
    """Send the frame's form `typing_seconds` after it was shown, as a browser does from
    inside the frame: Origin our own address unless told otherwise (None: no Origin)."""
    options = dict(request or {})
    if origin is not None:
        options["headers"] = {"Origin": origin, **options.get("headers", {})}
    intake.time.advance(typing_seconds)  # tests/conftest.py: clock
    return send(client, form, request=options, **{**COMMENT, **fields})


def comment_from_frame(client, url: str = PAGE, title: str = "", **fields):
    params = {"title": title} if title else {}
    return send_from_frame(client, frame_form(client, url, **params), **fields)


def parse_frame_form(response) -> Form:
    """The comment form of a frame the app answered with."""
    return parse_form(response.get_data(as_text=True), "form.comment-form", "/embed/thread")


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _texts(response, selector: str) -> list[str]:
    return [tag.get_text(" ", strip=True) for tag in _soup(response).select(selector)]


def _thread_post(app, url: str = PAGE):
    with app.app_context():
        return sites.find_thread(db.get_session(), url)


def _cookie_headers(response, name: str) -> list[str]:
    return [value for value in response.headers.getlist("Set-Cookie") if value.startswith(name)]


def _frame_ancestors(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    [directive] = [part.strip() for part in policy.split(";") if "frame-ancestors" in part]
    return directive.split()[1:]


def test_frame_of_a_registered_page_shows_its_approved_entries_only_and_the_form(
    app, client, thread
):
    approved = add_comment(app, "Approved words.", Status.APPROVED, thread, name="Grace")
    add_comment(app, "Pending words.", Status.PENDING, thread)

    response = client.get(frame_url())

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _texts(response, ".comments-title") == ["1 thought on “Hello, World”"]
    assert _texts(response, "li.entry .entry-text") == ["Approved words."]
    assert "Pending words." not in page
    assert _texts(response, ".respond-title") == ["Leave a Comment"]
    assert _texts(response, ".comment-notes") == [
        "Your email address will not be published. Required fields are marked *"
    ]
    assert len(_soup(response).select("form.comment-form label .required")) == 3
    # A frame has no session of ours: no CSRF token, the page's address goes along.
    form = parse_frame_form(response)
    assert "csrf_token" not in form.fields
    assert form.fields["url"] == PAGE
    assert form.action == "/embed/thread/comments"
    # Reply links open the reply form inside the frame, without scripts.
    [reply] = _soup(response).select("a.reply")
    assert address(reply["href"]) == address(f"{frame_url(replytocom=approved)}#respond")
    assert reply["target"] == "_self"
    assert _soup(response).select_one("form.comment-form")["target"] == "_self"


def test_links_to_commenters_websites_open_in_the_top_window(app, client, thread):
    add_comment(app, "See https://example.org/x", Status.APPROVED, thread, website="https://a.ex/")

    soup = _soup(client.get(frame_url()))

    # <base target="_top">: every link without a target of its own leaves the frame.
    assert soup.select_one("head base")["target"] == "_top"
    author = soup.select_one("li.entry .author a")
    assert author["href"] == "https://a.ex/" and not author.get("target")
    assert [a.get("target") for a in soup.select(".entry-text a")] == [None]


def test_a_page_with_no_thread_yet_shows_no_comments_and_the_form(client, blog):
    response = client.get(frame_url(title="A New Post"))

    assert response.status_code == 200
    assert _soup(response).select("li.entry") == []
    assert _soup(response).select(".comments-title") == []
    assert _texts(response, ".respond-title") == ["Leave a Comment"]
    assert parse_frame_form(response).fields["title"] == "A New Post"


def test_first_comment_from_the_frame_creates_the_thread_pending_for_its_author_alone(
    app, client, blog
):
    assert _thread_post(app) is None

    response = comment_from_frame(
        client, PAGE + "?utm_source=x#top", title="Hello, World", comment="First!"
    )

    assert response.status_code == 303, response.get_data(as_text=True)
    post = _thread_post(app)
    assert (post.url, post.title) == (PAGE, "Hello, World")
    [entry] = entries(app)
    assert (entry.status, entry.body, entry.post_id) == ("pending", "First!", post.id)
    assert address(response.headers["Location"]) == address(f"{frame_url()}#comment-{entry.id}")

    own = client.get(response.headers["Location"])
    assert own.status_code == 200
    assert _texts(own, "li.entry.pending .entry-text") == ["First!"]
    assert _texts(own, "li.entry.pending .awaiting") == [AWAITING]
    assert own.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in own.headers

    other = reader(app, 2).get(frame_url())
    assert "First!" not in other.get_data(as_text=True)
    assert _soup(other).select("li.entry") == []


def test_a_reply_from_the_frame_lands_under_its_parent(app, client, thread):
    parent = add_comment(
        app, "The parent.", Status.APPROVED, thread, name="Grace", email="grace@example.org"
    )
    form = frame_form(client, replytocom=str(parent))
    assert form.fields["parent"] == str(parent)

    response = send_from_frame(client, form, comment="A reply.")

    assert response.status_code == 303
    [reply, _] = entries(app)
    assert reply.parent_id == parent
    own = client.get(response.headers["Location"])
    assert _texts(own, f"#comment-{parent} > ol.children > li.pending .entry-text") == ["A reply."]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "Please enter your name."),
        ("email", "not-an-address", "Please enter a valid email address."),
        ("comment", "", "Please type your comment."),
    ],
)
def test_field_errors_show_beside_their_fields_with_the_input_kept(
    app, client, blog, field, value, message
):
    response = comment_from_frame(client, title="Hello", **{field: value})

    assert response.status_code == 400
    assert _texts(response, f"#{field}-error") == [message]
    form = parse_frame_form(response)
    kept = {name: form.fields[name] for name in ("comment", "name", "email", "website")}
    assert kept == {**COMMENT, field: value.strip()}
    assert (form.fields["url"], form.fields["title"]) == (PAGE, "Hello")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert entries(app) == []
    assert _thread_post(app) is None  # the thread begun for it went with it


def test_a_form_sent_too_soon_is_stored_as_spam(app, client, blog):
    response = send_from_frame(client, frame_form(client), typing_seconds=0.5)

    assert response.status_code == 303
    [entry] = entries(app)
    assert entry.status == "spam"


def test_a_form_with_a_forged_stamp_is_refused_keeping_the_text(app, client, blog):
    form = frame_form(client)
    forged = replace(form, fields=form.data(shown="1.000.forged"))

    response = send_from_frame(client, forged, comment="Kept.")

    assert response.status_code == 400
    assert "This form is too old to be sent." in response.get_data(as_text=True)
    assert parse_frame_form(response).fields["comment"] == "Kept."
    assert entries(app) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": FOREIGN},
        {"Origin": "null"},
        {"Origin": "http://localhost.elsewhere.example"},
        {"Referer": f"{FOREIGN}/page"},
        {},
    ],
    ids=["foreign-origin", "opaque-origin", "lookalike-origin", "foreign-referer", "neither"],
)
def test_a_post_from_elsewhere_is_forbidden_and_stores_nothing(app, client, blog, headers):
    form = replace(frame_form(client), referrer=None)

    response = send_from_frame(client, form, origin=None, request={"headers": headers})

    assert response.status_code == 403
    assert "only from the page that shows it" in response.get_data(as_text=True)
    assert entries(app) == []
    assert _thread_post(app) is None


@pytest.mark.parametrize(
    "headers",
    [{"Origin": SITE}, {"Referer": f"{OURS}/embed/thread?url=x"}, {"Referer": f"{SITE}/x"}],
    ids=["registered-site-origin", "own-referer", "registered-site-referer"],
)
def test_a_post_from_our_frame_or_a_registered_site_is_taken(app, client, blog, headers):
    form = replace(frame_form(client), referrer=None)

    response = send_from_frame(client, form, origin=None, request={"headers": headers})

    assert response.status_code == 303
    assert len(entries(app)) == 1


@pytest.mark.parametrize(("origin", "status"), [(OURS, 303), (FOREIGN, 403)])
def test_without_an_own_address_the_frame_posts_from_the_address_it_was_read_at(
    make_app, blog, origin, status
):
    """A browser sends the Host of the address it posts to, which a page elsewhere cannot
    change: it says where the frame is, though never what links we write."""
    unconfigured = make_app(TRUSTED_HOSTS=None, SITE_URL=None)
    client = unconfigured.test_client()

    response = send_from_frame(client, frame_form(client), origin=origin)

    assert response.status_code == status


def test_the_form_works_without_any_cookie(app, blog):
    client = app.test_client()
    form = frame_form(client)
    assert client.get_cookie("session") is None
    client.delete_cookie("session")

    response = send_from_frame(client, form)

    assert response.status_code == 303
    assert client.get_cookie("session") is None
    assert _cookie_headers(response, "session=") == []
    assert len(entries(app)) == 1


def test_the_dashboards_session_does_not_spare_a_moderator_the_limits(app, moderator, blog):
    first = comment_from_frame(moderator, comment="One.")
    second = comment_from_frame(moderator, comment="Two.")

    assert first.status_code == 303
    assert second.status_code == 429


def test_frame_ancestors_are_the_registered_origins_and_nothing_else(app, client, thread):
    with app.app_context():
        session = db.get_session()
        sites.add_site(session, "http://other-blog.example:8080")
        session.commit()

    frame = client.get(frame_url())

    assert _frame_ancestors(frame) == ["'self'", "http://other-blog.example:8080", SITE]
    assert FOREIGN not in frame.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in frame.headers
    assert "script-src 'self';" in frame.headers["Content-Security-Policy"]
    refused = client.get(frame_url("https://unregistered.example/"))
    assert _frame_ancestors(refused) == ["'self'", "http://other-blog.example:8080", SITE]
    post_page = client.get(f"/posts/{thread}/")
    assert _frame_ancestors(post_page) == ["'self'"]
    dashboard = client.get("/moderation/login")
    assert _frame_ancestors(dashboard) == ["'none'"]
    assert dashboard.headers["X-Frame-Options"] == "DENY"


def test_the_frame_tells_its_height_to_the_registered_page_only(client, blog):
    soup = _soup(client.get(frame_url()))

    assert soup.html["data-parent-origin"] == SITE
    [script] = soup.select("script")
    assert script["src"] == "/static/embed-frame.js" and not script.string
    with client.get("/static/embed-frame.js") as script_file:
        assert script_file.status_code == 200


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://unregistered.example/post/", sites.NOT_ON_A_SITE),
        ("javascript:alert(1)", sites.NOT_A_WEB_URL),
        ("", sites.NOT_A_WEB_URL),
    ],
)
def test_a_url_outside_every_registered_site_is_refused_with_a_message(
    app, client, blog, url, message
):
    response = client.get(frame_url(url))

    assert response.status_code == 400
    assert message in _soup(response).get_text()


def test_a_comment_for_an_unregistered_url_is_refused(app, client, blog):
    form = frame_form(client)
    form = replace(form, fields=form.data(url="https://unregistered.example/"))

    response = send_from_frame(client, form)

    assert response.status_code == 400
    assert sites.NOT_ON_A_SITE in _soup(response).get_text()
    assert entries(app) == []


def test_a_plain_read_sets_no_cookie_and_never_opens_the_session(app, client, thread):
    opened = []

    @app.after_request
    def watch(response):
        # The first hook to run after the view (hooks run last registered first); read
        # through the context's own field, since the `session` proxy marks what it reads.
        opened.append(request_ctx._session.accessed)
        return response

    add_comment(app, "Approved words.", Status.APPROVED, thread)

    response = client.get(frame_url())

    assert response.status_code == 200
    assert opened == [False]
    assert response.headers.getlist("Set-Cookie") == []
    assert "Cookie" in response.vary  # a reader with our cookies sees their own entries
    assert response.cache_control.public
    assert response.cache_control.max_age == app.config["PAGE_MAX_AGE"]
    assert response.get_etag()[1] is True  # weak


def test_the_frame_answers_304_until_its_thread_changes(app, client, thread):
    first = client.get(frame_url())
    etag = first.headers["ETag"]

    again = client.get(frame_url(), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""

    approve(app, add_comment(app, "Now approved.", Status.PENDING, thread))
    changed = client.get(frame_url(), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "Now approved." in changed.get_data(as_text=True)


def test_pages_of_comments_stay_inside_the_frame(app, client, thread):
    save_settings(app, comments_per_page=1)
    add_comment(app, "Older.", Status.APPROVED, thread)
    add_comment(app, "Newer.", Status.APPROVED, thread, email="b@example.net")

    first = client.get(frame_url())
    [newer] = _soup(first).select("nav.comment-pages a.newer")

    assert address(newer["href"]) == address(f"{frame_url(page=2)}#comments")
    assert newer["target"] == "_self"
    second = client.get(newer["href"])
    assert _texts(second, "li.entry .entry-text") == ["Newer."]
    permalink = _soup(second).select_one("a.permalink")
    assert address(permalink["href"])[:2] == address(frame_url(page=2))[:2]
    assert client.get(frame_url(page="3")).status_code == 404


def test_the_own_entry_cookie_is_partitioned_behind_https(app, blog):
    client = app.test_client()
    https = {"base_url": "https://localhost"}
    form = frame_form(client, request=https)

    response = send_from_frame(client, form, origin="https://localhost", request=https)

    assert response.status_code == 303
    [cookie] = _cookie_headers(response, "own_entries=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "partitioned", "httponly"} <= attributes
    assert re.search(r"SameSite=None", cookie)
    own = client.get(response.headers["Location"], **https)
    assert _texts(own, "li.entry.pending .awaiting") == [AWAITING]


def test_over_plain_http_the_own_entry_cookie_is_a_lax_one(app, client, blog):
    response = comment_from_frame(client)

    [cookie] = _cookie_headers(response, "own_entries=")
    assert "SameSite=Lax" in cookie
    assert "Partitioned" not in cookie and "Secure" not in cookie
