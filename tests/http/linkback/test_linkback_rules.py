"""The Discussion rules and the flood rule apply to linkbacks as to comments (§6)."""

import xmlrpc.client
from datetime import timedelta

import pytest
import requests
from sqlalchemy import update

from moderation import db, jobs
from moderation.models import Post, Status, utcnow
from tests.helpers import entries, save_settings
from tests.http.linkback.test_pingback import linking_page


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


def test_a_second_pingback_from_one_ip_within_the_flood_time_is_fault_49(
    make_app, post, source_server
):
    app = make_app(LINKBACK_ALLOW_PRIVATE_HOSTS=True, COMMENT_FLOOD_SECONDS=15)
    client = app.test_client()
    target = "http://localhost/posts/a-post/"

    def ping(path: str) -> int:
        source = source_server.page(path, linking_page(target))
        body = xmlrpc.client.dumps((source, target), "pingback.ping")
        response = client.post("/xmlrpc", data=body, content_type="text/xml")
        try:
            xmlrpc.client.loads(response.data)
        except xmlrpc.client.Fault as fault:
            return fault.faultCode
        return 0

    assert [ping("/one"), ping("/two")] == [0, 49]
    assert len(entries(app)) == 1


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
