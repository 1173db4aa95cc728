"""Forged posts change nothing; honest concurrent posts are all kept."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import requests

from moderation.infra import db
from moderation.services import posts
from tests.conftest import create_moderator, log_in
from tests.forms import parse_form, send
from tests.helpers import COMMENT, comment_form, entries, submit


@pytest.fixture
def app(make_app):
    """Behind one reverse proxy, as in production: readers come from their own addresses."""
    return make_app(TRUSTED_PROXIES=1)


FOREIGN = "This form can be sent only from the page that shows it"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://elsewhere.example"},
        {"Referer": "https://elsewhere.example/a-page"},
        {"Origin": "null"},  # a sandboxed frame, a file
        {},  # says not where it comes from
    ],
    ids=["origin", "referer", "opaque", "neither"],
)
def test_a_comment_not_sent_from_our_page_is_refused_and_nothing_is_stored(
    app, client, post, clock, headers
):
    form = replace(comment_form(client), referrer=None)
    clock.advance(30)
    response = send(client, form, request={"headers": headers}, **COMMENT)
    assert response.status_code == 403
    assert FOREIGN in response.get_data(as_text=True)
    assert entries(app) == []


def test_a_page_elsewhere_cannot_post_with_a_moderators_session(app, post, clock):
    """The moderator's cookie goes with a POST from anywhere; the POST's origin does not."""
    create_moderator(app)
    moderator = log_in(app)
    form = replace(comment_form(moderator), referrer=None)
    clock.advance(30)
    headers = {"Origin": "https://elsewhere.example"}
    response = send(moderator, form, request={"headers": headers}, **COMMENT)
    assert response.status_code == 403
    assert entries(app) == []


def test_a_form_from_another_post_is_refused_and_the_text_kept(app, client, post, clock):
    with app.app_context():
        session = db.get_session()
        posts.create_post(session, "other-post", "Another Post", "<p>More.</p>")
        session.commit()
    other = comment_form(client, "other-post")
    clock.advance(30)
    response = send(client, replace(other, action="/posts/a-post/comments"), **COMMENT)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form is too old to be sent." in page
    assert f"{COMMENT['comment']}</textarea>" in page
    assert entries(app) == []
    again = parse_form(page, "form.comment-form", "/posts/a-post/")
    retry = send(client, replace(again, referrer=other.referrer), **COMMENT)
    assert retry.status_code == 303
    assert len(entries(app)) == 1


def _reader_forms(live_server: str, count: int) -> list[tuple[requests.Session, dict]]:
    """`count` readers, each with the comment form their own visit rendered."""
    readers = []
    for number in range(count):
        browser = requests.Session()
        browser.headers["X-Forwarded-For"] = f"198.51.100.{number + 1}"
        browser.headers["Origin"] = live_server  # as a browser sends with a form's POST
        page = browser.get(f"{live_server}/posts/a-post/", timeout=10).text
        readers.append((browser, parse_form(page, "form.comment-form", "/posts/a-post/")))
    return readers


def _post(live_server: str, browser: requests.Session, form, **fields) -> int:
    data = list(form.data(**{**COMMENT, **fields}).items(multi=True))
    response = browser.post(live_server + form.action, data=data, allow_redirects=False, timeout=60)
    return response.status_code


def test_fifty_concurrent_submissions_over_http_are_all_stored_once(app, post, live_server, clock):
    readers = _reader_forms(live_server, 50)
    clock.advance(30)

    def write(number: int) -> int:
        browser, form = readers[number]
        return _post(
            live_server,
            browser,
            form,
            comment=f"Concurrent comment {number}",
            email=f"reader{number}@example.net",
        )

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(write, range(50)))
    assert statuses == [303] * 50
    texts = sorted(entry.body for entry in entries(app))
    assert texts == sorted(f"Concurrent comment {number}" for number in range(50))


def test_the_same_comment_sent_ten_times_at_once_is_stored_once(app, post, live_server, clock):
    [(browser, form)] = _reader_forms(live_server, 1)
    clock.advance(30)

    def write(_: int) -> int:
        return _post(live_server, browser, form, comment="Sent from a shaky connection.")

    # Ten: within COMMENT_RATE_LIMIT, which would answer 429 past that.
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(write, range(10)))
    assert statuses == [303] + [409] * 9
    assert [entry.body for entry in entries(app)] == ["Sent from a shaky connection."]


def test_a_forged_post_to_an_unknown_post_is_404_not_an_error(app, post):
    response = submit(app.test_client(), to="/posts/no-such-post/comments")
    assert response.status_code == 404
    assert "There is no post at this address." in response.get_data(as_text=True)
