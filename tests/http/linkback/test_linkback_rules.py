"""The Discussion rules (issue 6) and the flood rule (SPEC §2, COMMENT_FLOOD_SECONDS)
apply to linkbacks as to comments."""

import time
import xmlrpc.client
from datetime import timedelta

import pytest
import requests
from sqlalchemy import update

from moderation.infra import db, jobs
from moderation.infra.models import Post, utcnow
from moderation.rules.statuses import Status
from tests.helpers import entries, save_settings
from tests.http.linkback.test_pingback import linking_page
from tests.http.linkback.test_trackback import answer


@pytest.fixture
def endpoint(live_server) -> xmlrpc.client.ServerProxy:
    return xmlrpc.client.ServerProxy(f"{live_server}/xmlrpc")


def fault_of(call) -> int:
    with pytest.raises(xmlrpc.client.Fault) as raised:
        call()
    return raised.value.faultCode


def test_a_pingback_with_a_disallowed_word_in_its_title_is_spam(
    app, endpoint, target, source_server
):
    save_settings(app, disallowed_words="casino")
    source = source_server.page("/p", linking_page(target, title="Best Casino Deals"))
    endpoint.pingback.ping(source, target)
    [entry] = entries(app)
    assert (entry.status, entry.rule, entry.reason) == (
        Status.SPAM,
        "disallowed-word",
        "spam: disallowed word 'casino' in name",
    )


def test_with_hold_all_off_a_verified_pingback_is_published_at_once(
    app, endpoint, target, source_server
):
    save_settings(app, hold_all=False)
    source = source_server.page("/p", linking_page(target, title="A Friendly Blog"))
    endpoint.pingback.ping(source, target)
    [entry] = entries(app)
    assert (entry.status, entry.reason) == (Status.APPROVED, "approved: no rule held it")
    assert "A Friendly Blog" in requests.get(target, timeout=5).text


def pingback(live_server: str, source: str, target: str) -> str:
    """Ping as WordPress does; what it learns: "ok" or the fault code."""
    try:
        xmlrpc.client.ServerProxy(f"{live_server}/xmlrpc").pingback.ping(source, target)
    except xmlrpc.client.Fault as fault:
        return f"fault {fault.faultCode}"
    return "ok"


def webmention(live_server: str, source: str, target: str) -> str:
    data = {"source": source, "target": target}
    response = requests.post(f"{live_server}/webmention", data=data, timeout=5)
    return "ok" if response.status_code == 201 else f"HTTP {response.status_code}"


def trackback(live_server: str, source: str, target: str) -> str:
    response = requests.post(target + "trackback", data={"url": source}, timeout=5)
    error, _ = answer(response)
    return "ok" if error == "0" else f"error {error}, HTTP {response.status_code}"


SENDERS = {"pingback": pingback, "webmention": webmention, "trackback": trackback}


def linking_both(first: str, second: str) -> str:
    """A new post of another blog that links to two of ours, as WordPress then pings."""
    return (
        "<html><head><title>Two good reads</title></head><body>"
        f'<p>First <a href="{first}">this one</a>, then <a href="{second}">that one</a>.</p>'
        "</body></html>"
    )


@pytest.mark.parametrize("protocol", SENDERS)
def test_one_blog_pinging_two_posts_within_a_second_loses_neither(
    app, live_server, target, post, other_post, source_server, protocol
):
    assert app.config["COMMENT_FLOOD_SECONDS"] == 15  # the flood rule on, as deployed
    second = f"{live_server}/posts/another-post/"
    source = source_server.page("/new-post", linking_both(target, second))
    started = time.monotonic()
    answers = [SENDERS[protocol](live_server, source, each) for each in (target, second)]
    assert time.monotonic() - started < 1
    assert answers == ["ok", "ok"]
    jobs.run_due_jobs(app)
    assert sorted((entry.post_id, entry.type.value) for entry in entries(app)) == [
        (post.id, protocol),
        (other_post.id, protocol),
    ]


@pytest.mark.parametrize(
    ("protocol", "refusal"),
    [("pingback", "fault 49"), ("webmention", "HTTP 429"), ("trackback", "error 1, HTTP 429")],
)
def test_a_second_source_pinging_one_post_within_the_flood_time_is_refused(
    app, live_server, target, source_server, protocol, refusal
):
    send = SENDERS[protocol]
    one = source_server.page("/one", linking_page(target))
    two = source_server.page("/two", linking_page(target))
    assert [send(live_server, one, target), send(live_server, two, target)] == ["ok", refusal]
    jobs.run_due_jobs(app)
    assert [entry.source_url for entry in entries(app)] == [one]


def test_a_webmention_sent_again_at_once_is_taken_as_an_update(
    app, live_server, target, source_server
):
    source = source_server.page("/w", linking_page(target))
    first = webmention(live_server, source, target)
    again = webmention(live_server, source, target)
    assert [first, again] == ["ok", "ok"]


def test_pings_close_on_posts_older_than_the_setting(app, endpoint, target, source_server, post):
    save_settings(app, close_after_days=30)
    with app.app_context():
        session = db.get_session()
        session.execute(
            update(Post).where(Post.id == post.id).values(created=utcnow() - timedelta(days=31))
        )
        session.commit()
    source = source_server.page("/p", linking_page(target))
    assert fault_of(lambda: endpoint.pingback.ping(source, target)) == 33
    response = requests.post(
        target.replace("/posts/a-post/", "/webmention"),
        data={"source": source, "target": target},
        timeout=5,
    )
    assert response.status_code == 400
    assert source_server.requests == []


def test_a_trackback_with_a_disallowed_word_is_spam_at_once(app, target, source_server):
    save_settings(app, disallowed_words="pills")
    source = source_server.page("/t", linking_page(target))
    requests.post(
        target + "trackback",
        data={"url": source, "title": "Offer", "excerpt": "Cheap pills here"},
        timeout=5,
    )
    [entry] = entries(app)
    assert (entry.status, entry.reason) == (Status.SPAM, "spam: disallowed word 'pills' in text")
    jobs.run_due_jobs(app)  # verification leaves a spam entry where it is
    assert entries(app)[0].status == Status.SPAM


def test_a_webmention_is_judged_when_verified(app, target, source_server):
    save_settings(app, moderation_words="river", hold_all=False)
    source = source_server.page("/w", linking_page(target))  # "…about the river…"
    response = requests.post(
        target.replace("/posts/a-post/", "/webmention"),
        data={"source": source, "target": target},
        timeout=5,
    )
    assert response.status_code == 201
    jobs.run_due_jobs(app)
    [entry] = entries(app)
    assert (entry.status, entry.reason) == (
        Status.PENDING,
        "held: moderation word 'river' in text",
    )
