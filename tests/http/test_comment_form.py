"""The "Leave a Comment" form: validation, limits, refusals, and what gets stored."""

import pytest

from moderation.infra import db
from moderation.services import posts
from tests.forms import send
from tests.helpers import COMMENT, add_approved_comment, comment_form, entries, submit


def _email_of_bytes(size: int) -> str:
    domain = "@example.com"
    return "a" * (size - len(domain)) + domain


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_valid_comment_is_stored_pending_and_redirects_to_the_post(client, app, post):
    response = submit(client, comment="Nice article.\r\n\r\nSecond paragraph.")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/posts/a-post/#comment-")
    [entry] = entries(app)
    assert (entry.status, entry.type, entry.reason) == (
        "pending",
        "comment",
        "held for a moderator",
    )
    assert entry.body == "Nice article.\n\nSecond paragraph."
    assert entry.body_html == "<p>Nice article.</p><p>Second paragraph.</p>"
    assert (entry.author, entry.email, entry.website) == (
        COMMENT["name"],
        COMMENT["email"],
        COMMENT["website"],
    )
    assert entry.ip_address == "127.0.0.1"


def test_comment_records_the_user_agent(client, app, post):
    submit(client, request={"headers": {"User-Agent": "ExampleBrowser/1.0"}})
    assert entries(app)[0].user_agent == "ExampleBrowser/1.0"


def test_names_emails_and_websites_are_trimmed(client, app, post):
    submit(client, name="  Ada  ", email=" ada@example.net\t", website=" example.com/x ")
    [entry] = entries(app)
    assert (entry.author, entry.email, entry.website) == (
        "Ada",
        "ada@example.net",
        "http://example.com/x",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("comment", None, "Please type your comment."),
        ("comment", "  \r\n \t ", "Please type your comment."),
        ("name", None, "Please enter your name."),
        ("name", "   ", "Please enter your name."),
        ("email", None, "Please enter your email address."),
        ("email", "", "Please enter your email address."),
        ("email", "not-an-address", "Please enter a valid email address."),
        ("email", "ada@", "Please enter a valid email address."),
    ],
)
def test_required_fields_are_refused_with_a_message_beside_the_field(
    client, app, post, field, value, message
):
    response = submit(client, **{field: value})
    assert response.status_code == 400
    page = _page(response)
    assert f'<span class="field-error" id="{field}-error">{message}</span>' in page
    assert f'aria-describedby="{field}-error"' in page
    assert entries(app) == []


def test_refused_form_keeps_what_was_typed(client, post):
    page = _page(submit(client, name="", comment="Kept <b>as typed</b>", website="example.org"))
    assert "Kept &lt;b&gt;as typed&lt;/b&gt;</textarea>" in page
    assert 'value="ada.reader@example.net"' in page
    assert 'value="http://example.org"' in page  # normalised, still what was meant


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("comment", "x" * 65_525, "x" * 65_525),
        ("comment", "é" * 32_762 + "x", "é" * 32_762 + "x"),  # 65,525 bytes
        ("name", "n" * 245, "n" * 245),
        ("name", "ü" * 122 + "n", "ü" * 122 + "n"),  # 245 bytes
        ("email", _email_of_bytes(100), _email_of_bytes(100)),
        ("website", "https://example.com/" + "p" * 180, "https://example.com/" + "p" * 180),
    ],
)
def test_each_limit_is_accepted_at_its_bound_and_stored_whole(
    client, app, post, field, value, stored
):
    assert submit(client, **{field: value}).status_code == 303
    [entry] = entries(app)
    column = {"comment": "body", "name": "author"}.get(field, field)
    assert getattr(entry, column) == stored


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("comment", "x" * 65_526, "The comment is too long: 65,526 bytes, at most 65,525"),
        ("comment", "é" * 32_763, "The comment is too long: 65,526 bytes, at most 65,525"),
        ("name", "n" * 246, "The name is too long: 246 bytes, at most 245"),
        ("name", "ü" * 123, "The name is too long: 246 bytes, at most 245"),
        ("email", _email_of_bytes(101), "The email is too long: 101 bytes, at most 100"),
        ("website", "https://example.com/" + "p" * 181, "The website is too long: 201 bytes"),
        ("website", "example.com/" + "p" * 182, "The website is too long: 201 bytes"),
    ],
)
def test_each_limit_is_refused_one_byte_over(client, app, post, field, value, message):
    response = submit(client, **{field: value})
    assert response.status_code == 400
    assert message in _page(response)
    assert entries(app) == []


def test_a_body_over_the_request_limit_gets_413_and_stores_nothing(client, app, post):
    response = submit(client, comment="x" * 2_000_000)
    assert response.status_code == 413
    assert "too large" in _page(response)
    assert entries(app) == []


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("example.com", "http://example.com"),
        ("www.example.com/blog/", "http://www.example.com/blog/"),
        ("example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com/a?b=c#d", "https://example.com/a?b=c#d"),
        ("HTTP://Example.com", "HTTP://Example.com"),
        ("", ""),
    ],
)
def test_website_is_normalised_to_http_or_https(client, app, post, typed, stored):
    assert submit(client, website=typed).status_code == 303
    assert entries(app)[0].website == stored


@pytest.mark.parametrize(
    ("website", "message"),
    [
        ("javascript:alert(1)", "must be an http:// or https:// address"),
        ("JavaScript:alert(document.cookie)", "must be an http:// or https:// address"),
        ("data:text/html,<script>alert(1)</script>", "must be an http:// or https:// address"),
        ("vbscript:msgbox(1)", "must be an http:// or https:// address"),
        ("ftp://example.com/", "must be an http:// or https:// address"),
        ("mailto:ada@example.net", "must be an http:// or https:// address"),
        ("file:///etc/passwd", "must be an http:// or https:// address"),
        ("http://", "is not a valid web address"),
        ("http://exa mple.com", "is not a valid web address"),
        ("http://user:pass@example.com", "must not contain a user name or password"),
        ("http://example.com:99999/", "invalid port"),
    ],
)
def test_bad_website_schemes_and_addresses_are_refused(client, app, post, website, message):
    response = submit(client, website=website)
    assert response.status_code == 400
    assert message in _page(response)
    assert entries(app) == []


@pytest.mark.parametrize("field", ["comment", "name", "email", "website"])
@pytest.mark.parametrize(
    "character",
    ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\u202e", "\u2066"],
    ids=["nul", "soh", "backspace", "vtab", "escape", "del", "c1-nel", "rlo", "lri"],
)
def test_control_and_bidi_override_characters_are_refused(client, app, post, field, character):
    base = {"email": "ada@exam{}ple.net", "website": "example.{}com"}.get(field, "ab{}cd")
    response = submit(client, **{field: base.format(character)})
    assert response.status_code == 400
    assert "contains an invisible control character" in _page(response)
    assert entries(app) == []


@pytest.mark.parametrize("field", ["name", "email", "website"])
@pytest.mark.parametrize("character", ["\t", "\n"], ids=["tab", "newline"])
def test_one_line_fields_refuse_tabs_and_newlines(client, app, post, field, character):
    value = {"email": "ada@exam{}ple.net", "website": "example.{}com"}.get(field, "A{}B")
    # Leading and trailing whitespace is trimmed, so the character sits inside the value.
    assert submit(client, **{field: value.format(character)}).status_code == 400
    assert entries(app) == []


def test_comment_keeps_tabs_and_newlines(client, app, post):
    assert submit(client, comment="line one\n\tindented line").status_code == 303
    assert entries(app)[0].body == "line one\n\tindented line"


def test_comment_on_a_closed_post_gets_403_with_a_message(client, app, post, clock):
    form = comment_form(client)  # opened before comments closed
    with app.app_context():
        session = db.get_session()
        posts.get_post(session, "a-post").comments_open = False
        session.commit()
    clock.advance(30)
    response = send(client, form, **COMMENT)
    assert response.status_code == 403
    assert "Comments are closed on this post." in _page(response)
    assert entries(app) == []
    assert "Comments are closed." in _page(client.get("/posts/a-post/"))


def test_comment_on_an_unknown_post_gets_404(client, app, post):
    assert submit(client, to="/posts/no-such-post/comments").status_code == 404
    assert entries(app) == []


def test_comment_route_takes_no_get(client, post):
    assert client.get("/posts/a-post/comments").status_code == 405


def test_reply_to_an_approved_comment_of_the_same_post_is_stored_under_it(client, app, post):
    parent = add_approved_comment(app, post)
    assert submit(client, parent=str(parent.id)).status_code == 303
    reply = next(entry for entry in entries(app) if entry.id != parent.id)
    assert reply.parent_id == parent.id
    assert reply.status == "pending"


def test_reply_to_a_comment_of_another_post_is_refused(client, app, post, other_post):
    elsewhere = add_approved_comment(app, other_post)
    response = submit(client, parent=str(elsewhere.id))
    assert response.status_code == 400
    assert "The comment you are replying to is not available." in _page(response)
    assert len(entries(app)) == 1


def test_reply_to_an_unapproved_comment_is_refused(client, app, post):
    submit(client)
    [pending] = entries(app)
    response = submit(client, parent=str(pending.id), comment="A reply.")
    assert response.status_code == 400
    assert "The comment you are replying to is not available." in _page(response)
    assert len(entries(app)) == 1


@pytest.mark.parametrize("parent", ["999999", "abc", "-1", "1.5"])
def test_reply_to_a_missing_or_malformed_parent_is_refused(client, app, post, parent):
    response = submit(client, parent=parent)
    assert response.status_code == 400
    assert "The comment you are replying to is not available." in _page(response)
    assert entries(app) == []


def test_markup_is_sanitised_once_at_submission(client, app, post):
    submit(
        client, comment='<script>alert(1)</script> <a href="javascript:x()">x</a> see example.org'
    )
    [entry] = entries(app)
    assert entry.body.startswith("<script>")  # stored as typed
    assert "<script>" not in entry.body_html
    assert "javascript:" not in entry.body_html
    assert (
        '<a href="http://example.org" rel="nofollow ugc noopener noreferrer">example.org</a>'
        in (entry.body_html)
    )


@pytest.mark.parametrize("parent", ["99999999999999999999", "2147483648", "١٢"])
def test_reply_to_an_out_of_range_parent_is_refused_not_an_error(client, app, post, parent):
    response = submit(client, parent=parent)
    assert response.status_code == 400
    assert "The comment you are replying to is not available." in _page(response)
    assert entries(app) == []


def test_reply_prefill_with_an_out_of_range_id_is_ignored(client, post):
    response = client.get("/posts/a-post/?replytocom=99999999999999999999")
    assert response.status_code == 200
    assert "Leave a Comment" in _page(response)


@pytest.mark.parametrize(
    ("hops", "stored"),
    [(0, "127.0.0.1"), (1, "198.51.100.7")],
)
def test_client_ip_comes_from_the_proxy_header_only_when_proxies_are_trusted(
    make_app, post, hops, stored
):
    app = make_app(TRUSTED_PROXIES=hops)
    submit(app.test_client(), request={"headers": {"X-Forwarded-For": "198.51.100.7"}})
    assert entries(app)[0].ip_address == stored
