"""Forged posts change nothing; honest concurrent posts are all kept."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.forms import parse_form, send
from tests.helpers import COMMENT, entries, submit, token_in


@pytest.fixture
def app(make_app):
    """Behind one reverse proxy, as in production: readers come from their own addresses."""
    return make_app(TRUSTED_PROXIES=1)


def test_comment_without_csrf_token_gets_400_keeps_the_text_and_stores_nothing(
    app, client, post, clock
):
    response = submit(client, comment="Words worth keeping", csrf_token=None)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form had expired. Please check it and send it again." in page
    assert "Words worth keeping</textarea>" in page
    assert entries(app) == []
    # The re-rendered form carries a fresh token that works.
    clock.advance(30)
    retry = send(client, parse_form(page, "form.comment-form"), **COMMENT)
    assert retry.status_code == 303
    assert len(entries(app)) == 1


def test_comment_with_a_token_from_another_session_is_refused(app, post):
    victim, attacker = app.test_client(), app.test_client()
    token = token_in(attacker.get("/posts/a-post/").get_data(as_text=True))
    response = submit(victim, csrf_token=token)
    assert response.status_code == 400
    assert entries(app) == []


def _reader_forms(live_server: str, count: int) -> list[tuple[requests.Session, dict]]:
    """`count` readers, each with the comment form their own visit rendered."""
    readers = []
    for number in range(count):
        browser = requests.Session()
        browser.headers["X-Forwarded-For"] = f"198.51.100.{number + 1}"
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
