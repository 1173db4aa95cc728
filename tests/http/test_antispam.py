"""The form's abuse controls (issue 6; SPEC §2 names their settings): flood, duplicates,
the honeypot, the form's age and the rate limit by IP, shared through Redis by separate
app processes."""

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import update

from moderation.infra import db
from moderation.infra.models import Entry
from moderation.rules.statuses import Status
from tests.conftest import REDIS_URL, create_moderator, log_in
from tests.helpers import add_comment, entries, reader, submit, time_passes

ROOT = Path(__file__).resolve().parents[2]
TOO_QUICK = "You are posting comments too quickly. Slow down."
DUPLICATE = "Duplicate comment detected; it looks as though you&#39;ve already said that!"


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def flood_app(make_app):
    """Behind one proxy, so that one client can speak from several addresses."""
    return make_app(TRUSTED_PROXIES=1)


def from_ip(client, ip: str, **fields):
    return submit(client, request={"headers": {"X-Forwarded-For": ip}}, **fields)


@pytest.mark.parametrize(
    ("second_ip", "second_email"),
    [("198.51.100.1", "other@example.net"), ("198.51.100.2", "ada.reader@example.net")],
    ids=["same-ip", "same-email"],
)
def test_a_second_comment_within_15_seconds_is_429(flood_app, post, second_ip, second_email):
    client = flood_app.test_client()
    assert from_ip(client, "198.51.100.1", comment="First").status_code == 303
    second = from_ip(client, second_ip, comment="Second", email=second_email)
    assert second.status_code == 429
    assert TOO_QUICK in page(second) and "Second</textarea>" in page(second)
    assert [entry.body for entry in entries(flood_app)] == ["First"]


def test_a_second_click_within_15_seconds_is_a_duplicate_not_too_quick(flood_app, post):
    client = flood_app.test_client()
    assert from_ip(client, "198.51.100.1", comment="Clicked twice").status_code == 303
    again = from_ip(client, "198.51.100.1", comment="Clicked twice")
    assert again.status_code == 409
    assert DUPLICATE in page(again)
    assert len(entries(flood_app)) == 1


def test_another_reader_is_not_slowed_down(flood_app, post):
    client = flood_app.test_client()
    assert from_ip(client, "198.51.100.1", comment="First").status_code == 303
    other = from_ip(client, "198.51.100.9", comment="Mine", email="someone@example.org")
    assert other.status_code == 303


def test_moderators_are_exempt_from_the_flood_rule(flood_app, post):
    create_moderator(flood_app)
    client = log_in(flood_app)
    assert submit(client, comment="One").status_code == 303
    assert submit(client, comment="Two").status_code == 303


def test_the_same_comment_again_is_409_and_nothing_is_stored(client, app, post):
    assert submit(client, comment="Said once.").status_code == 303
    again = submit(client, comment="Said once.")
    assert again.status_code == 409
    assert DUPLICATE in page(again)
    assert len(entries(app)) == 1
    time_passes(app)
    assert submit(client, comment="Said once, and more.").status_code == 303


def test_the_same_words_from_someone_else_are_not_a_duplicate(client, app, post):
    submit(client, comment="Agreed.")
    other = reader(app, 2)
    assert submit(other, comment="Agreed.", name="Bo", email="bo@example.org").status_code == 303


def test_the_same_words_in_reply_to_another_comment_are_not_a_duplicate(client, app, post):
    first, second = (add_comment(app, text, Status.APPROVED) for text in ("One", "Two"))
    time_passes(app)  # the same author wrote those
    assert submit(client, comment="Agreed.", parent=str(first)).status_code == 303
    time_passes(app)
    assert submit(client, comment="Agreed.", parent=str(second)).status_code == 303
    assert submit(client, comment="Agreed.", parent=str(second)).status_code == 409


def test_a_comment_a_moderator_edited_or_trashed_still_counts_as_said(client, app, post):
    assert submit(client, comment="Said once.").status_code == 303
    with app.app_context():
        session = db.get_session()
        session.execute(update(Entry).values(body="Edited.", status=Status.TRASH))
        session.commit()
    assert submit(client, comment="Said once.").status_code == 409


def test_a_filled_honeypot_is_stored_as_spam_with_the_reason(client, app, post):
    response = submit(client, homepage="http://spam.example/")
    assert response.status_code == 303  # nothing tells the program it was caught
    [entry] = entries(app)
    assert (entry.status, entry.rule, entry.reason) == (
        Status.SPAM,
        "honeypot",
        "spam: honeypot field filled",
    )


def test_the_honeypot_is_hidden_from_people(client, post):
    form = page(client.get("/posts/a-post/"))
    assert re.search(r'<p class="field homepage" aria-hidden="true">.*tabindex="-1"', form)


def test_a_form_sent_too_soon_after_it_was_shown_is_spam(app, client, post):
    assert submit(client, typing_seconds=1).status_code == 303
    [entry] = entries(app)
    assert (entry.status, entry.rule) == (Status.SPAM, "form-age")
    assert entry.reason.startswith("spam: sent 1.")


@pytest.mark.parametrize(
    "fields",
    [{"typing_seconds": 7201}, {"shown": None}, {"shown": "1700000000.000.forged"}],
    ids=["older-than-2-hours", "missing", "forged"],
)
def test_an_old_missing_or_forged_form_time_is_refused_and_the_text_kept(client, app, post, fields):
    response = submit(client, comment="Typed long ago", **fields)
    assert response.status_code == 400
    assert "This form is too old to be sent." in page(response)
    assert "Typed long ago</textarea>" in page(response)
    assert entries(app) == []


def test_comments_past_the_rate_limit_are_429(make_app, post):
    # The flood rule would answer the second comment first: this test is about the limit.
    app = make_app(COMMENT_RATE_LIMIT="2 per minute", COMMENT_FLOOD_SECONDS=0)
    client = app.test_client()
    codes = [submit(client, comment=f"Comment {n}").status_code for n in range(3)]
    assert codes == [303, 303, 429]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PUBLIC_ADDRESS = "https://comments.example"


@pytest.fixture
def two_servers(database_url, post):
    """Two app processes (flask run) on one database and one Redis, as on two hosts."""
    marker = uuid.uuid4().hex[:12]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "shared-secret",
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_ENABLED": "true",
        "COMMENT_RATE_LIMIT": "3 per minute",
        "COMMENT_FLOOD_SECONDS": "0",
        "COMMENT_FORM_MIN_SECONDS": "0",
        "TRUSTED_PROXIES": "1",
        "JOB_WORKERS": "0",
        # Both hosts serve one public address, behind a load balancer.
        "SITE_URL": PUBLIC_ADDRESS,
    }
    ports = [_free_port(), _free_port()]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    deadline = time.monotonic() + 30
    for url in urls:
        while True:
            try:
                requests.get(url + "/", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the app process did not start"
                time.sleep(0.1)
    ip = f"2001:db8:1:{marker[:4]}:{marker[4:8]}:{marker[8:]}:0:1"
    yield urls, ip
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"*{ip}*"):
        client.delete(key)
    client.close()


def test_two_app_processes_on_one_redis_share_the_comment_rate_limit(two_servers):
    (first, second), ip = two_servers
    browser = requests.Session()
    headers = {"X-Forwarded-For": ip}
    form = browser.get(f"{first}/posts/a-post/", headers=headers, timeout=5).text
    shown = re.search(r'name="shown" type="hidden" value="([^"]+)"', form).group(1)
    headers["Origin"] = PUBLIC_ADDRESS  # the page was read at the public address

    def post(base: str, number: int) -> int:
        data = {
            "comment": f"Comment {number}",
            "name": "Ada",
            "email": "ada@example.net",
            "shown": shown,
        }
        response = browser.post(
            f"{base}/posts/a-post/comments",
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=5,
        )
        return response.status_code

    # Three allowed in all, whichever process takes them; the fourth is refused by both.
    assert [post(first, 1), post(second, 2), post(first, 3)] == [303, 303, 303]
    assert [post(second, 4), post(first, 5)] == [429, 429]
