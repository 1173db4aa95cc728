"""Forged posts change nothing; honest concurrent posts are all kept."""

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.helpers import entries, form_data, submit, token_in


def test_comment_without_csrf_token_gets_400_keeps_the_text_and_stores_nothing(make_app, post):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    client.get("/posts/a-post/")
    response = submit(client, comment="Words worth keeping")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form had expired. Please check it and send it again." in page
    assert "Words worth keeping</textarea>" in page
    assert entries(app) == []
    # The re-rendered form carries a fresh token that works.
    retry = client.post("/posts/a-post/comments", data=form_data(app, csrf_token=token_in(page)))
    assert retry.status_code == 303
    assert len(entries(app)) == 1


def test_comment_with_a_token_from_another_session_is_refused(make_app, post):
    app = make_app(WTF_CSRF_ENABLED=True)
    victim, attacker = app.test_client(), app.test_client()
    token = token_in(attacker.get("/posts/a-post/").get_data(as_text=True))
    victim.get("/posts/a-post/")
    response = victim.post("/posts/a-post/comments", data=form_data(app, csrf_token=token))
    assert response.status_code == 400
    assert entries(app) == []


def test_fifty_concurrent_submissions_over_http_are_all_stored_once(app, post, live_server):
    def send(number: int) -> int:
        data = form_data(app, comment=f"Concurrent comment {number}")
        response = requests.post(
            f"{live_server}/posts/a-post/comments", data=data, allow_redirects=False, timeout=60
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(send, range(50)))
    assert statuses == [303] * 50
    texts = sorted(entry.body for entry in entries(app))
    assert texts == sorted(f"Concurrent comment {number}" for number in range(50))


def test_the_same_comment_sent_twenty_times_at_once_is_stored_once(app, post, live_server):
    data = form_data(app, comment="Sent from a shaky connection.")

    def send(_: int) -> int:
        response = requests.post(
            f"{live_server}/posts/a-post/comments", data=data, allow_redirects=False, timeout=60
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(send, range(20)))
    assert statuses == [303] + [409] * 19
    assert [entry.body for entry in entries(app)] == ["Sent from a shaky connection."]


def test_a_forged_post_to_an_unknown_post_is_404_not_an_error(make_app, post):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = submit(app.test_client(), slug="no-such-post")
    assert response.status_code == 404
    assert "There is no post at this address." in response.get_data(as_text=True)
