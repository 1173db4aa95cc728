"""The JSON API (issue 13): a page URL's thread, counts, the comment POST with the form's
own checks and messages, the preview, the reader's own pending entries, CORS for
registered sites only, cacheable reads, and no session.

Every answer a test receives goes through `Api`, which checks it against the OpenAPI
document the app serves, and that it sets no cookie and never looked at the session.
"""

import hashlib
import json
from html import escape

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate
from sqlalchemy import event, select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from moderation.infra import db
from moderation.infra.models import Entry, Post
from moderation.rules.statuses import EntryType, MentionKind, Status
from moderation.services import moderating, posts, sites
from moderation.services.comments import DUPLICATE
from moderation.services.linkbacks import recording
from moderation.web.api import cors
from moderation.web.api import views as api_module
from moderation.web.api.reader_token import issue
from tests.helpers import (
    COMMENT,
    TEST_ACTOR,
    add_comment,
    approve,
    entries,
    save_settings,
    submit,
    time_passes,
)

BLOG = "https://blog.example"
PAGE = "https://blog.example/2026/hello/"
OTHER_PAGE = "https://blog.example/2026/other/"
STRANGER = "https://stranger.example"
OURS = "http://localhost"  # the test client's host, which TRUSTED_HOSTS vouches for
TOO_QUICKLY = "You are posting comments too quickly. Slow down."
FORM_TOO_OLD = "This form is too old to be sent. Please check it and send it again."


@pytest.fixture
def app(make_app):
    """The app as deployed behind a host name it trusts: it knows its own address, which
    the absolute avatar and feed URLs need (SPEC §4, own address)."""
    return make_app(TRUSTED_HOSTS=["localhost"])


@pytest.fixture(autouse=True)
def blog(app):
    """A registered site, whose pages' threads the API serves."""
    with app.app_context():
        session = db.get_session()
        sites.add_site(session, BLOG)
        session.commit()


_DOCUMENTS: dict[str, OpenAPI] = {}


class Api:
    """A test client of the API whose every answer is checked against the OpenAPI
    document, and for no cookie: no Set-Cookie, and no `Vary: Cookie` (the session was
    never read)."""

    def __init__(self, client, document: OpenAPI):
        self.client = client
        self.document = document

    def using(self, client) -> "Api":
        return Api(client, self.document)

    def get(self, path: str, **options):
        return self._sent("GET", path, options)

    def post(self, path: str, **options):
        return self._sent("POST", path, options)

    def options(self, path: str, **options):
        return self._sent("OPTIONS", path, options)

    def _sent(self, method: str, path: str, options: dict):
        url = f"/api/v1/{path}"
        response = self.client.open(url, method=method, **options)
        # The request again, as it was sent: the app has read the first one's body.
        sent = Request(EnvironBuilder(url, method=method, **options).get_environ())
        return self._checked(sent, response)

    def _checked(self, sent: Request, response):
        self.document.validate_response(
            WerkzeugOpenAPIRequest(sent), WerkzeugOpenAPIResponse(response)
        )
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.vary
        assert "Origin" in response.vary
        assert "Access-Control-Allow-Credentials" not in response.headers
        return response


def served_document(app) -> dict:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def api(app, client) -> Api:
    """The API through `client`, answers checked against the document the app serves."""
    document = served_document(app)
    key = json.dumps(document, sort_keys=True)
    if key not in _DOCUMENTS:  # validating a document takes a while: once per version
        _DOCUMENTS[key] = OpenAPI.from_dict(document)
    return Api(client, _DOCUMENTS[key])


def thread_of(app, url: str = PAGE, title: str = "Hello") -> Post:
    """The thread of a page, made as its first comment would make it."""
    with app.app_context():
        session = db.get_session()
        post = sites.thread_for(session, url, title)
        session.commit()
        return post


def add_entry(app, post: Post, text: str, status=Status.APPROVED, **fields) -> int:
    """Another reader's comment on a thread, through the service, moved to `status`."""
    fields = {"name": "Other Reader", "email": "other.reader@example.org", **fields}
    return add_comment(app, text, status, slug=post.slug, **fields)


def add_linkback(app, post: Post, entry_type, source: str, **fields) -> int:
    with app.app_context():
        session = db.get_session()
        entry = recording.record_linkback(
            session, post, entry_type, source, "Their Blog", "[…] a link […]", **fields
        )
        moderating.set_status(session, TEST_ACTOR, [entry.id], Status.APPROVED)
        session.commit()
        return entry.id


def stamp_of(api: Api, url: str = PAGE) -> str:
    response = api.get("thread", query_string={"url": url})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["form"]["stamp"]


def send_comment(api: Api, clock, typing_seconds: float = 30, headers=None, **fields):
    """Send a comment as embed.js does: the stamp of the thread's answer, then the fields
    `typing_seconds` later. `fields` replace COMMENT's (None leaves one out)."""
    body = {"url": PAGE, "title": "Hello", "stamp": stamp_of(api), **COMMENT, **fields}
    clock.advance(typing_seconds)
    body = {key: value for key, value in body.items() if value is not None}
    return api.post("comments", json=body, headers=headers or {})


def stored(app) -> list[Entry]:
    return entries(app)


# The thread.


def test_thread_nests_replies_and_counts_the_approved_entries(app, api):
    post = thread_of(app)
    first = add_entry(app, post, "The first word.")
    reply = add_entry(app, post, "A reply.", parent_id=first, name="Bo Reader", ip_address="1")
    add_entry(app, post, "Held.", Status.PENDING, name="Held Reader", ip_address="2")

    response = api.get("thread", query_string={"url": PAGE + "#comments"})

    assert response.status_code == 200
    thread = response.get_json()
    assert (thread["url"], thread["title"], thread["count"], thread["open"]) == (
        PAGE,
        "Hello",
        2,
        True,
    )
    assert (thread["page"], thread["pages"]) == (1, 1)
    [top] = thread["entries"]
    assert top["id"] == first and top["html"] == "<p>The first word.</p>"
    assert [child["id"] for child in top["replies"]] == [reply]
    assert top["replies"][0]["author"] == "Bo Reader"
    assert (top["type"], top["kind"], top["label"], top["pending"]) == (
        "comment",
        None,
        None,
        False,
    )
    assert top["avatar"].startswith(f"{OURS}/avatars/") and top["avatar"].endswith(".svg")
    assert top["created"].endswith("Z")
    assert "Held" not in response.get_data(as_text=True)
    assert thread["feed"].startswith(f"{OURS}/feeds/thread.atom?url=")
    assert thread["form"]["limits"] == {"comment": 65525, "name": 245, "email": 100, "website": 200}
    assert thread["form"]["thread_depth"] == 5


def test_thread_pages_its_top_level_entries(app, api):
    save_settings(app, comments_per_page=2)
    post = thread_of(app)
    ids = [add_entry(app, post, f"Comment {n}.", ip_address=str(n)) for n in range(3)]

    first = api.get("thread", query_string={"url": PAGE}).get_json()
    second = api.get("thread", query_string={"url": PAGE, "page": 2}).get_json()

    assert [entry["id"] for entry in first["entries"]] == ids[:2]
    assert [entry["id"] for entry in second["entries"]] == ids[2:]
    assert (first["pages"], second["page"], second["count"]) == (2, 2, 3)
    assert api.get("thread", query_string={"url": PAGE, "page": 3}).status_code == 404
    assert api.get("thread", query_string={"url": PAGE, "page": "x"}).status_code == 404


def test_thread_shows_linkbacks_with_a_label_and_likes_as_reactions(app, api):
    post = thread_of(app)
    pingback = add_linkback(app, post, EntryType.PINGBACK, "https://elsewhere.example/a")
    like = add_linkback(
        app,
        post,
        EntryType.WEBMENTION,
        "https://elsewhere.example/like",
        mention_kind=MentionKind.LIKE,
    )

    thread = api.get("thread", query_string={"url": PAGE}).get_json()

    [linkback] = thread["entries"]
    assert (linkback["id"], linkback["label"], linkback["type"]) == (
        pingback,
        "Pingback",
        "pingback",
    )
    assert linkback["source"] == "https://elsewhere.example/a"
    [reaction] = thread["reactions"]
    assert (reaction["id"], reaction["kind"], reaction["label"]) == (like, "like", None)


def test_no_email_nor_a_hash_of_one_in_any_answer(app, api, clock):
    post = thread_of(app)
    email = "Secret.Person@Example.org"
    add_entry(app, post, "Approved.", email=email)
    time_passes(app, 60)  # the flood rule counts by email too
    created = send_comment(api, clock, email=email, comment="Mine.", name="Secret Person")
    token = created.get_json()["token"]
    answers = [
        created,
        api.get("thread", query_string={"url": PAGE}),
        api.get("thread", query_string={"url": PAGE, "own": token}),
        api.get("own", query_string={"url": PAGE, "token": token}),
    ]
    forms = {email, email.lower(), email.strip().lower().encode().decode()}
    hashes = {
        getattr(hashlib, name)(each.encode()).hexdigest()
        for name in ("md5", "sha1", "sha256")
        for each in forms
    }
    for answer in answers:
        text = answer.get_data(as_text=True).lower()
        assert all(each.lower() not in text for each in forms | hashes)
        assert "email" not in set(keys_in(answer.get_json()))


def keys_in(value, skip: str = "limits"):
    """Every key of every object in a JSON value, but those inside `skip` (the form's
    limits name the email field)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            if key != skip:
                yield from keys_in(inner, skip)
    elif isinstance(value, list):
        for inner in value:
            yield from keys_in(inner, skip)


def test_a_page_with_no_thread_yet_has_none_and_the_read_makes_none(app, api):
    response = api.get(
        "thread", query_string={"url": "HTTPS://Blog.Example/new/?utm=x#top", "title": " New  "}
    )

    assert response.status_code == 200
    thread = response.get_json()
    assert (thread["url"], thread["title"], thread["count"]) == (f"{BLOG}/new/", "New", 0)
    assert (thread["entries"], thread["reactions"], thread["feed"]) == ([], [], None)
    assert thread["open"] is True and thread["form"]["stamp"]
    assert response.cache_control.public
    with app.app_context():
        assert db.get_session().scalars(select(Post)).all() == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://stranger.example/a/", sites.NOT_ON_A_SITE),
        ("javascript:alert(1)", sites.NOT_A_WEB_URL),
        ("", api_module.NO_URL),
    ],
)
def test_a_url_outside_every_site_is_refused_with_400(app, api, clock, url, message):
    thread = api.get("thread", query_string={"url": url})
    own = api.get("own", query_string={"url": url, "token": "x"})
    assert (thread.status_code, thread.get_json()) == (400, {"error": message})
    assert (own.status_code, own.get_json()) == (400, {"error": message})
    body = {**COMMENT, "url": url, "stamp": stamp_of(api)}
    clock.advance(30)
    sent = api.post("comments", json=body)
    assert (sent.status_code, sent.get_json()) == (400, {"error": message})
    assert stored(app) == []


# Counts.


def test_counts_for_many_urls_come_from_one_query(app, api, count_queries):
    post = thread_of(app)
    add_entry(app, post, "One.")
    add_entry(app, post, "Two.", ip_address="2")
    add_entry(app, post, "Held.", Status.PENDING, ip_address="3")
    thread_of(app, OTHER_PAGE)
    asked = [
        PAGE,
        PAGE + "#comments",
        "https://BLOG.example:443/2026/hello/?ref=feed",
        OTHER_PAGE,
        f"{BLOG}/no-thread/",
        "https://stranger.example/a/",
        "not a url",
    ]

    with count_queries() as statements:
        response = api.get("counts", query_string={"url": asked})

    assert response.status_code == 200
    assert response.get_json() == {"counts": dict(zip(asked, [2, 2, 2, 0, 0, 0, 0], strict=True))}
    assert len(statements) == 1
    assert response.cache_control.public and response.cache_control.max_age == 60


def test_counts_follow_a_site_that_keeps_the_query(app, api):
    with app.app_context():
        session = db.get_session()
        sites.add_site(session, "https://wp.example", keep_query=True)
        session.commit()
    add_entry(app, thread_of(app, "https://wp.example/?p=1"), "On p=1.")
    add_entry(app, thread_of(app, "https://wp.example/"), "On the front page.", ip_address="2")
    add_entry(app, thread_of(app, "https://wp.example/"), "Again.", ip_address="3")

    asked = ["https://wp.example/?p=1", "https://wp.example/", "https://wp.example/?p=2"]
    counts = api.get("counts", query_string={"url": asked}).get_json()["counts"]

    assert counts == {
        "https://wp.example/?p=1": 1,
        "https://wp.example/": 2,
        "https://wp.example/?p=2": 0,
    }


def test_counts_of_more_than_a_hundred_urls_are_refused(api):
    urls = [f"{BLOG}/{n}/" for n in range(101)]
    response = api.get("counts", query_string={"url": urls})
    assert response.status_code == 400
    assert response.get_json() == {"error": api_module.TOO_MANY_URLS}


# The comment POST.


def test_a_comment_makes_its_thread_and_stays_pending(app, api, clock):
    response = send_comment(api, clock, title="Hello, World")

    assert response.status_code == 201
    sent = response.get_json()
    assert sent["status"] == "pending" and sent["page"] == 1
    assert sent["entry"]["id"] == sent["id"] and sent["entry"]["pending"] is True
    assert sent["entry"]["html"] == "<p>A thoughtful comment.</p>"
    assert sent["token"]
    assert response.cache_control.no_store
    [entry] = stored(app)
    assert (entry.id, entry.status, entry.email) == (sent["id"], Status.PENDING, COMMENT["email"])
    with app.app_context():
        post = db.get_session().get(Post, entry.post_id)
        assert (post.url, post.title) == (PAGE, "Hello, World")
    thread = api.get("thread", query_string={"url": PAGE}).get_json()
    assert (thread["count"], thread["entries"]) == (0, [])  # public: not until approved


def test_a_first_comment_that_meets_a_thread_begun_alongside_joins_that_thread(app, api, clock):
    """Two first comments on one page at once: the other request makes the thread between
    this one's look and its INSERT. This one's thread is rolled back, and the comment is
    stored once, on the other thread."""
    engine = app.extensions["moderation.engine"]
    alongside: list[Post] = []
    began = []

    def other_request_first(connection, cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO posts") and not began:
            began.append(True)  # its own INSERT comes through here too
            alongside.append(thread_of(app, PAGE, "Begun alongside"))

    event.listen(engine, "before_cursor_execute", other_request_first)
    try:
        response = send_comment(api, clock)
    finally:
        event.remove(engine, "before_cursor_execute", other_request_first)

    assert response.status_code == 201, response.get_json()
    [entry] = stored(app)
    assert entry.post_id == alongside[0].id
    with app.app_context():
        assert db.get_session().scalars(select(Post.id)).all() == [alongside[0].id]


def test_a_comment_is_taken_form_encoded_too(app, api, clock):
    data = {**COMMENT, "url": PAGE, "stamp": stamp_of(api)}
    clock.advance(30)
    response = api.post("comments", data=data)
    assert response.status_code == 201
    assert stored(app)[0].body == COMMENT["comment"]


def test_a_reply_to_an_approved_comment_lands_under_it(app, api, clock):
    post = thread_of(app)
    parent = add_entry(app, post, "Parent.", ip_address="9")
    sent = send_comment(api, clock, parent=parent).get_json()
    token = sent["token"]
    thread = api.get("thread", query_string={"url": PAGE, "own": token}).get_json()
    assert [reply["id"] for reply in thread["entries"][0]["replies"]] == [sent["id"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("comment", None),
        ("comment", "   "),
        ("comment", "x" * 65_526),
        ("comment", "bell \x07"),
        ("name", None),
        ("name", "n" * 246),
        ("name", "Ada\u202eReader"),
        ("email", ""),
        ("email", "not-an-address"),
        ("website", "javascript:alert(1)"),
        ("website", "https://user:pw@example.com/"),
        ("parent", "abc"),
    ],
)
def test_field_errors_carry_the_html_forms_messages(app, api, client, post, clock, field, value):
    response = send_comment(api, clock, **{field: value})

    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert list(errors) == [field]
    page = submit(client, **{field: value}).get_data(as_text=True)  # the HTML form, same values
    for message in errors[field]:
        assert escape(message, quote=False) in page
    assert stored(app) == []


def test_a_reply_to_an_unapproved_comment_is_a_parent_error(app, api, clock):
    held = add_entry(app, thread_of(app), "Held.", Status.PENDING, ip_address="9")
    response = send_comment(api, clock, parent=str(held))
    assert response.status_code == 400
    assert response.get_json() == {
        "errors": {"parent": ["The comment you are replying to is not available."]}
    }


@pytest.mark.parametrize("stamp", [None, "", "1700000000.000.forged", "not a stamp"])
def test_a_missing_or_forged_stamp_is_refused(app, api, clock, stamp):
    body = {**COMMENT, "url": PAGE, "stamp": stamp}
    clock.advance(30)
    response = api.post("comments", json={k: v for k, v in body.items() if v is not None})
    assert response.status_code == 400
    assert response.get_json() == {"error": FORM_TOO_OLD}
    assert stored(app) == []


def test_a_stamp_older_than_the_form_may_be_is_refused(app, api, clock):
    response = send_comment(api, clock, typing_seconds=7201)
    assert response.get_json() == {"error": FORM_TOO_OLD}
    assert response.status_code == 400


def test_a_comment_sent_too_fast_is_spam_by_the_time_trap(app, api, clock):
    response = send_comment(api, clock, typing_seconds=1)

    assert response.status_code == 201
    sent = response.get_json()
    assert (sent["status"], sent["entry"], sent["page"]) == ("spam", None, None)
    [entry] = stored(app)
    assert entry.status == Status.SPAM and "seconds after the form was shown" in entry.reason
    own = api.get("own", query_string={"url": PAGE, "token": sent["token"]}).get_json()
    assert own == {"entries": []}


def test_a_filled_honeypot_is_spam(app, api, clock):
    response = send_comment(api, clock, homepage="http://spam.example/")
    assert response.get_json()["status"] == "spam"
    assert stored(app)[0].reason == "spam: honeypot field filled"


def test_the_same_comment_again_is_a_409(app, api, clock):
    assert send_comment(api, clock).status_code == 201
    time_passes(app, 60)  # past the flood rule: the duplicate is refused for itself
    response = send_comment(api, clock)
    assert (response.status_code, response.get_json()) == (409, {"error": DUPLICATE})
    assert len(stored(app)) == 1


def test_a_second_comment_too_soon_is_a_429_by_the_flood_rule(app, api, clock):
    assert send_comment(api, clock).status_code == 201
    response = send_comment(api, clock, comment="Another thought.")
    assert (response.status_code, response.get_json()) == (429, {"error": TOO_QUICKLY})
    assert len(stored(app)) == 1


def test_the_rate_limit_counts_the_form_and_the_api_together(make_app, clock):
    app = make_app(TRUSTED_HOSTS=["localhost"], COMMENT_RATE_LIMIT="2 per minute")
    with app.app_context():  # the same database as `app`'s, with its site
        session = db.get_session()
        posts.create_post(session, "a-post", "A Post")
        session.commit()
    client = app.test_client()
    api = Api(client, OpenAPI.from_dict(served_document(app)))
    assert submit(client).status_code == 303  # the HTML form
    time_passes(app, 60)
    assert send_comment(api, clock, comment="Second.").status_code == 201
    time_passes(app, 60)
    response = send_comment(api, clock, comment="Third.")
    assert (response.status_code, response.get_json()) == (429, {"error": TOO_QUICKLY})
    assert len(stored(app)) == 2


def test_previews_past_their_rate_limit_are_refused_with_a_429(make_app):
    app = make_app(TRUSTED_HOSTS=["localhost"], PREVIEW_RATE_LIMIT="2 per minute")
    api = Api(app.test_client(), OpenAPI.from_dict(served_document(app)))
    for _ in range(2):
        assert api.post("preview", json={"comment": "Looks *fine*."}).status_code == 200
    response = api.post("preview", json={"comment": "Looks *fine*."})

    assert (response.status_code, response.get_json()) == (
        429,
        {"error": api_module.TOO_MANY_PREVIEWS},
    )


def test_a_comment_on_a_closed_thread_is_a_403(app, api, clock):
    post = thread_of(app)
    with app.app_context():
        session = db.get_session()
        session.get(Post, post.id).comments_open = False
        session.commit()
    assert api.get("thread", query_string={"url": PAGE}).get_json()["open"] is False
    response = send_comment(api, clock)
    assert response.status_code == 403
    assert response.get_json() == {"error": "Comments are closed on this post."}


def test_a_body_that_is_no_json_object_is_refused(api):
    response = api.post("comments", json=["a", "list"])
    assert (response.status_code, response.get_json()) == (400, {"error": api_module.NOT_AN_OBJECT})


def test_a_body_over_the_request_limit_is_a_413_and_stores_nothing(app, api):
    response = api.post("comments", json={**COMMENT, "url": PAGE, "comment": "x" * 1_100_000})
    assert response.status_code == 413
    assert list(response.get_json()) == ["error"]
    assert stored(app) == []


def test_without_its_own_address_the_api_draws_no_entries_but_counts(make_app):
    app = make_app()  # neither SITE_URL nor TRUSTED_HOSTS: no absolute URL of ours
    api = Api(app.test_client(), OpenAPI.from_dict(served_document(app)))
    thread = api.get("thread", query_string={"url": PAGE})
    assert thread.status_code == 503 and "SITE_URL" in thread.get_json()["error"]
    assert api.get("counts", query_string={"url": PAGE}).get_json() == {"counts": {PAGE: 0}}


# Preview.


def test_preview_sanitises_as_the_comment_will_be_stored(api):
    response = api.post(
        "preview", json={"comment": "<script>alert(1)</script> <b>bold</b>\n\nhttps://example.com/"}
    )
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" in html
    assert '<a href="https://example.com/" rel="nofollow ugc noopener noreferrer">' in html


def test_preview_of_a_too_long_comment_gives_the_forms_message(api):
    response = api.post("preview", json={"comment": "x" * 65_526})
    assert response.status_code == 400
    assert response.get_json() == {
        "errors": {
            "comment": ["The comment is too long: 65,526 bytes, at most 65,525 are allowed."]
        }
    }


# The reader's own pending entries.


def test_own_pending_entries_show_with_the_token_and_not_without(app, api, clock):
    token = send_comment(api, clock).get_json()["token"]
    [mine] = stored(app)

    own = api.get("own", query_string={"url": PAGE, "token": token})
    with_token = api.get("thread", query_string={"url": PAGE, "own": token})
    without = api.get("thread", query_string={"url": PAGE})

    assert [entry["id"] for entry in own.get_json()["entries"]] == [mine.id]
    assert own.cache_control.private and own.cache_control.no_store
    [shown] = with_token.get_json()["entries"]
    assert (shown["id"], shown["pending"]) == (mine.id, True)
    assert with_token.cache_control.no_store and with_token.headers.get("ETag") is None
    assert without.get_json()["entries"] == [] and without.cache_control.public
    others = api.get("own", query_string={"url": PAGE, "token": "forged." + token})
    assert others.get_json() == {"entries": []}


def test_own_entries_show_for_ten_minutes(app, api, clock):
    token = send_comment(api, clock).get_json()["token"]
    clock.advance(601)
    assert api.get("own", query_string={"url": PAGE, "token": token}).get_json() == {"entries": []}
    thread = api.get("thread", query_string={"url": PAGE, "own": token})
    assert thread.get_json()["entries"] == [] and thread.cache_control.public


def test_the_token_keeps_the_previous_ones_entries(app, api, clock):
    first = send_comment(api, clock).get_json()
    time_passes(app, 60)
    second = send_comment(api, clock, comment="Another.", own=first["token"]).get_json()
    own = api.get("own", query_string={"url": PAGE, "token": second["token"]}).get_json()
    assert [entry["id"] for entry in own["entries"]] == [first["id"], second["id"]]


def test_a_token_signed_with_another_secret_shows_nothing(app, api, clock):
    send_comment(api, clock)
    [mine] = stored(app)
    forged = issue("another-secret", None, [mine.id], clock.time())
    own = api.get("own", query_string={"url": PAGE, "token": forged}).get_json()
    assert own == {"entries": []}


def test_an_approved_entry_leaves_the_own_list_and_joins_the_thread(app, api, clock):
    sent = send_comment(api, clock).get_json()
    approve(app, sent["id"])
    own = api.get("own", query_string={"url": PAGE, "token": sent["token"]}).get_json()
    assert own == {"entries": []}
    thread = api.get("thread", query_string={"url": PAGE}).get_json()
    assert [entry["id"] for entry in thread["entries"]] == [sent["id"]]


# CORS, the Origin check, and no session.


def test_a_registered_sites_origin_may_read_and_another_gets_no_cors(app, api):
    mine = api.get("thread", query_string={"url": PAGE}, headers={"Origin": BLOG})
    theirs = api.get("thread", query_string={"url": PAGE}, headers={"Origin": STRANGER})
    assert mine.headers["Access-Control-Allow-Origin"] == BLOG
    assert "Access-Control-Allow-Origin" not in theirs.headers
    assert theirs.status_code == 200  # a read is public; the browser keeps it from them


@pytest.mark.parametrize("origin", [BLOG, OURS])
def test_a_comment_from_a_registered_site_or_from_us_is_taken(app, api, clock, origin):
    response = send_comment(api, clock, headers={"Origin": origin})
    assert response.status_code == 201
    expected = BLOG if origin == BLOG else None
    assert response.headers.get("Access-Control-Allow-Origin") == expected


@pytest.mark.parametrize("origin", [STRANGER, "null", "https://blog.example.evil.test"])
def test_a_post_from_another_origin_is_refused_with_403(app, api, clock, origin):
    response = send_comment(api, clock, headers={"Origin": origin})
    assert response.status_code == 403
    assert response.get_json() == {"error": cors.FOREIGN_ORIGIN}
    assert "Access-Control-Allow-Origin" not in response.headers
    preview = api.post("preview", json={"comment": "x"}, headers={"Origin": origin})
    assert preview.status_code == 403
    assert stored(app) == []


@pytest.mark.parametrize("path", ["comments", "preview", "thread", "counts", "own"])
def test_a_preflight_is_answered_for_a_registered_site_only(api, path):
    asked = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    mine = api.options(path, headers={"Origin": BLOG, **asked})
    theirs = api.options(path, headers={"Origin": STRANGER, **asked})

    assert mine.status_code == 204
    assert mine.headers["Access-Control-Allow-Origin"] == BLOG
    assert "POST" in mine.headers["Access-Control-Allow-Methods"]
    assert mine.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert theirs.status_code == 204
    assert not [name for name, _ in theirs.headers.items() if name.startswith("Access-Control-")]


def test_a_moderators_session_changes_nothing(app, api, moderator, clock):
    """The API has no session: a logged-in moderator is a reader like any other, held to
    the flood rule, and their cookie is neither read nor renewed."""
    as_moderator = api.using(moderator)
    first = send_comment(as_moderator, clock)
    assert first.status_code == 201 and first.get_json()["status"] == "pending"
    again = send_comment(as_moderator, clock, comment="Another thought.")
    assert (again.status_code, again.get_json()) == (429, {"error": TOO_QUICKLY})
    assert stored(app)[0].moderator_id is None


# Cacheable reads.


@pytest.mark.parametrize(
    ("path", "query"), [("thread", {"url": PAGE}), ("counts", {"url": [PAGE, OTHER_PAGE]})]
)
def test_shared_reads_are_public_and_answer_304_until_they_change(app, api, path, query):
    post = thread_of(app)
    first = api.get(path, query_string=query)
    assert first.cache_control.public and first.cache_control.max_age == 60
    tag = first.headers["ETag"]
    assert tag.startswith('W/"')

    again = api.get(path, query_string=query, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""

    add_entry(app, post, "Approved since.")
    changed = api.get(path, query_string=query, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def test_a_threads_tag_changes_as_its_form_stamp_ages(app, api, clock):
    thread_of(app)
    tag = api.get("thread", query_string={"url": PAGE}).headers["ETag"]
    clock.advance(app.config["COMMENT_FORM_MAX_SECONDS"] // 4)
    later = api.get("thread", query_string={"url": PAGE}, headers={"If-None-Match": tag})
    assert later.status_code == 200 and later.headers["ETag"] != tag


# The document.


def test_the_openapi_document_is_valid_openapi_3_1_and_names_every_route(app, api):
    response = api.get("openapi.json")
    document = response.get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    routes = {
        rule.rule.removeprefix("/api/v1")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert {path.removeprefix("/api/v1") for path in document["paths"]} == routes
    assert "email" not in document["components"]["schemas"]["Entry"]["properties"]
    assert response.cache_control.public


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/v1/nothing-here", 404), ("DELETE", "/api/v1/thread", 405)],
)
def test_an_address_or_method_the_api_has_not_is_answered_in_json(client, method, path, status):
    response = client.open(path, method=method)

    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]
