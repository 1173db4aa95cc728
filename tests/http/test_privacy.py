"""SPEC §3 (Comment fields): a commenter's email appears in no public page, header,
cookie or log line."""

import base64
import contextlib
import hashlib
import logging
import zlib
from urllib.parse import quote

import pytest

from moderation.infra import db
from moderation.services import moderating
from moderation.services.moderating import Action
from tests.helpers import COMMENT, TEST_ACTOR, approve, entries, reader, submit

EMAILS = ["First.Person@Example.org", "second@example.net", "third+tag@example.com"]


def _traces(email: str) -> list[str]:
    """The email as written, lowercased, URL-encoded, and its common plain hashes."""
    lowered = email.lower()
    traces = {email, lowered, quote(email), quote(email, safe="")}
    for algorithm in ("md5", "sha1", "sha256"):
        traces.add(hashlib.new(algorithm, lowered.encode()).hexdigest())
    return sorted(traces)


def _everything_public(response) -> str:
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    return headers + "\n" + response.get_data(as_text=True)


@pytest.fixture
def populated(app, post):
    """Three commenters: one approved, one pending, one reply that is spam."""
    clients = [reader(app, number) for number, _ in enumerate(EMAILS, start=1)]
    responses = [
        submit(c, email=email, comment=f"Comment number {n}")
        for n, (c, email) in enumerate(zip(clients, EMAILS, strict=True))
    ]
    stored = sorted(entries(app), key=lambda entry: entry.id)
    approve(app, stored[0].id)
    with app.app_context():
        session = db.get_session()
        moderating.moderate(session, TEST_ACTOR, [stored[2].id], Action.SPAM)
        session.commit()
    return clients, responses


def test_no_public_response_carries_a_commenters_email(app, post, populated, caplog):
    clients, submissions = populated
    caplog.set_level(logging.DEBUG)
    stranger = app.test_client()
    responses = [
        *submissions,
        stranger.get("/"),
        stranger.get("/posts/a-post/"),
        stranger.get("/posts/a-post/?replytocom=1"),
        stranger.get("/posts/no-such-post/"),
        stranger.get("/static/site.css"),
        submit(stranger, email="not-an-email"),  # re-rendered form, with the others' comments
        submit(stranger, name=""),
        submit(stranger, to="/posts/no-such-post/comments"),
        *(c.get("/posts/a-post/") for c in clients),  # each author sees their own pending one
    ]
    for index, response in enumerate(responses):
        text = _everything_public(response)
        response.close()
        own = EMAILS[index] if index < len(EMAILS) else None
        for email in EMAILS:
            if email == own:
                continue  # the submitter's own redirect may carry nothing else of theirs
            for trace in _traces(email):
                assert trace not in text, (index, trace)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for email in EMAILS:
        for trace in _traces(email):
            assert trace not in logged


def test_own_submission_response_and_cookies_do_not_carry_the_email(app, post):
    author = app.test_client()
    response = submit(author, email="private.person@example.org")
    for trace in _traces("private.person@example.org"):
        assert trace not in _everything_public(response)
    # The signed session (readable by anyone who holds it) and the own-entries cookie.
    for name in ("session", "own_entries"):
        cookie = author.get_cookie(name)
        if cookie is not None:
            decoded = _decode_cookie(cookie.value)
            assert "private.person" not in decoded


def test_the_submitters_own_rerendered_form_may_show_what_they_typed(client, post):
    page = submit(client, name="").get_data(as_text=True)
    assert f'value="{COMMENT["email"]}"' in page


def _decode_cookie(value: str) -> str:
    """Best effort: itsdangerous payloads are base64 (maybe zlib) before the first dot."""
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    with contextlib.suppress(zlib.error):
        raw = zlib.decompress(raw)
    return raw.decode("utf-8", "replace")


def test_an_unexpected_error_shows_a_plain_500_page_without_details(app, post, caplog):
    def broken():
        raise RuntimeError("internal detail second@example.net")

    app.add_url_rule("/broken", view_func=broken)
    response = app.test_client().get("/broken")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "internal detail" not in page and "RuntimeError" not in page
    assert response.headers["X-Content-Type-Options"] == "nosniff"
