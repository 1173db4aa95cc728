"""Webhooks (issue 14): an administrator adds URLs on the dashboard, and each hears of
entries that arrive, change status or are deleted, as a JSON POST signed as Standard
Webhooks says, retried until a 2xx answer.

A real HTTP receiver on 127.0.0.1 records every POST. The app lets webhooks reach it with
WEBHOOK_ALLOW_PRIVATE_HOSTS (one test shows what happens without), and retries at once
(JOB_RETRY_SECONDS=0); jobs run when a test calls jobs.run_due_jobs.
"""

import base64
import html
import json
import threading
from dataclasses import dataclass
from email.message import Message

import pytest
import standardwebhooks
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from moderation.infra import db, fetch, jobs
from moderation.infra.models import AuditEvent, Job, Webhook, WebhookDelivery
from moderation.rules.statuses import DeliveryState, Status
from moderation.services import webhooks
from tests.forms import page_form, send, submit_form
from tests.helpers import COMMENT, add_comment, csrf_token, entries, reader, seed_many, submit
from tests.sources import SourceServer

PAGE = "/moderation/webhooks"
ADD = "form.add-webhook"
SECRET_PREFIX = "whsec_"
# What a webhook is told of an entry, and nothing more: no email, IP address or user agent.
DATA_KEYS = {
    "id",
    "type",
    "status",
    "post",
    "parent_id",
    "author",
    "website",
    "text",
    "html",
    "source_url",
    "created",
}


@dataclass(frozen=True)
class Received:
    """One POST as the receiver got it."""

    headers: Message
    body: bytes

    def verified(self, secret: str) -> dict:
        """The payload, once its signature is checked as a receiver checks it."""
        return standardwebhooks.Webhook(secret).verify(self.body, dict(self.headers.items()))


class Receiver:
    """A webhook's receiver on the test's HTTP server: it answers with `answers` in turn
    (then 204) and records each POST."""

    def __init__(self, server: SourceServer, path: str = "/hook") -> None:
        self.posts: list[Received] = []
        self.answers: list[int] = []
        self._lock = threading.Lock()
        self.url = server.handle(path, self._answer)

    def _answer(self, handler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        with self._lock:
            self.posts.append(Received(handler.headers, body))
            status = self.answers.pop(0) if self.answers else 204
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def payloads(self) -> list[dict]:
        return [json.loads(each.body) for each in self.posts]


@pytest.fixture
def app(make_app):
    """The app as deployed, but for two settings: webhooks may reach 127.0.0.1, and a
    failed delivery is due again at once."""
    return make_app(WEBHOOK_ALLOW_PRIVATE_HOSTS=True, JOB_RETRY_SECONDS=0)


@pytest.fixture
def receiver(source_server) -> Receiver:
    return Receiver(source_server)


@pytest.fixture
def admin(logged_in):
    return logged_in("boss", admin=True)


def add_webhook(client, url: str) -> str:
    """Add a webhook through the page's form; return the secret the page then shows."""
    response = submit_form(client, PAGE, ADD, url=url)
    assert response.status_code == 303, response.get_data(as_text=True)
    return secret_of(client, url)


def secret_of(client, url: str) -> str:
    """The secret the Webhooks page shows beside `url`."""
    for row in _rows(client, "table.webhooks"):
        if row.find("td", attrs={"data-label": "URL"}).get_text(strip=True) == url:
            return row.find("code").get_text(strip=True)
    raise AssertionError(f"{url} is not listed")


def _rows(client, table: str) -> list:
    page = client.get(PAGE)
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    return soup.select(f"{table} tbody tr[id]")


def delivery_rows(client) -> list[dict[str, str]]:
    """The deliveries the page lists, newest first, each as {column: text}."""
    return [
        {cell["data-label"]: cell.get_text(" ", strip=True) for cell in row.find_all("td")}
        for row in _rows(client, "table.deliveries")
    ]


def deliveries(app) -> list[WebhookDelivery]:
    with app.app_context():
        statement = select(WebhookDelivery).order_by(WebhookDelivery.id)
        return list(db.get_session().scalars(statement))


def act(client, entry_id: int, action: str, status: Status):
    """Click an entry's button on the queue tab of `status`."""
    selector = f'#entry-{entry_id} form[action$="/{action}"]'
    response = submit_form(client, f"/moderation/?status={status}", selector)
    assert response.status_code == 303
    return response


def a_comment(app, client=None) -> int:
    """A reader's comment sent through the post page's form; its id."""
    response = submit(client or reader(app))
    assert response.status_code == 303, response.get_data(as_text=True)
    return entries(app)[0].id


# Adding and removing -------------------------------------------------------------------


def test_an_administrator_adds_a_webhook_and_the_page_shows_its_secret(app, admin, receiver):
    response = submit_form(admin, PAGE, ADD, url=receiver.url)

    assert response.status_code == 303
    assert "Webhook added" in admin.get(response.location).get_data(as_text=True)
    secret = secret_of(admin, receiver.url)
    assert secret.startswith(SECRET_PREFIX)
    assert 24 <= len(base64.b64decode(secret.removeprefix(SECRET_PREFIX))) <= 64
    assert secret_of(admin, receiver.url) == secret  # still there on the page after
    with app.app_context():
        audit = db.get_session().scalars(select(AuditEvent)).all()
    assert [(each.username, each.action) for each in audit][-1] == ("boss", "webhook-add")
    assert secret not in audit[-1].detail


def test_each_webhook_gets_a_secret_of_its_own(admin, receiver, source_server):
    other = Receiver(source_server, "/other")
    assert add_webhook(admin, receiver.url) != add_webhook(admin, other.url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter the URL to POST to."),
        ("ftp://example.org/hook", webhooks.NOT_A_WEB_URL),
        ("example.org/hook", webhooks.NOT_A_WEB_URL),
        ("https://example.org/" + "a" * 1981, webhooks.NOT_A_WEB_URL),
        ("https://user:password@example.org/hook", webhooks.NO_CREDENTIALS),
        ("https://already.example/hook", "That URL is a webhook already."),
    ],
    ids=["empty", "ftp", "no-scheme", "too-long", "credentials", "duplicate"],
)
def test_a_url_that_is_no_webhook_is_refused_with_a_message(app, admin, url, message):
    add_webhook(admin, "https://already.example/hook")

    response = submit_form(admin, PAGE, ADD, url=url)

    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    assert len(_rows(admin, "table.webhooks")) == 1


def test_a_url_of_2000_characters_is_a_webhook(admin):
    url = "https://example.org/" + "a" * 1980
    assert len(url) == 2000
    assert add_webhook(admin, url).startswith(SECRET_PREFIX)


def test_removing_a_webhook_stops_its_deliveries(app, post, admin, receiver):
    add_webhook(admin, receiver.url)
    a_comment(app)  # queued for the webhook, not sent yet
    remove = page_form(admin, PAGE, 'form[action$="/delete"]')

    response = send(admin, remove, button="Remove")

    assert response.status_code == 303
    assert "Webhook removed." in admin.get(response.location).get_data(as_text=True)
    jobs.run_due_jobs(app)
    add_comment(app, "A comment after the webhook went.")
    jobs.run_due_jobs(app)
    assert receiver.posts == []
    assert deliveries(app) == []
    with app.app_context():
        actions = db.get_session().scalars(select(AuditEvent.action)).all()
    assert actions[-1] == "webhook-remove"


def test_removing_a_webhook_that_is_gone_is_404(app, admin, receiver):
    add_webhook(admin, receiver.url)
    remove = page_form(admin, PAGE, 'form[action$="/delete"]')
    send(admin, remove)

    assert send(admin, remove).status_code == 404


def test_a_moderator_who_is_not_an_administrator_cannot_see_or_change_webhooks(
    app, admin, logged_in, receiver
):
    add_webhook(admin, receiver.url)
    plain = logged_in("plain")
    token = csrf_token(plain, "/moderation/")

    assert plain.get(PAGE).status_code == 403
    assert 'href="/moderation/webhooks"' not in plain.get("/moderation/").get_data(as_text=True)
    # The forms as an administrator's page renders them, sent with the plain moderator's token.
    add = page_form(admin, PAGE, ADD)
    assert send(plain, add, url="https://elsewhere.example/", csrf_token=token).status_code == 403
    remove = page_form(admin, PAGE, 'form[action$="/delete"]')
    assert send(plain, remove, csrf_token=token).status_code == 403
    with app.app_context():
        assert db.get_session().scalars(select(Webhook.url)).all() == [receiver.url]


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client):
    assert client.get(PAGE).status_code == 302
    assert "/moderation/login" in client.get(PAGE).location


def test_adding_without_the_form_token_is_refused(app, admin):
    form = page_form(admin, PAGE, ADD)
    response = send(admin, form, url="https://example.org/hook", csrf_token=None)
    assert response.status_code == 400
    with app.app_context():
        assert db.get_session().scalar(select(func.count()).select_from(Webhook)) == 0


# Deliveries ----------------------------------------------------------------------------


def test_a_readers_comment_is_posted_once_signed_as_standard_webhooks_says(
    app, post, admin, receiver
):
    secret = add_webhook(admin, receiver.url)
    entry_id = a_comment(app)

    assert receiver.posts == []  # the job runs after the request, never in it
    assert jobs.run_due_jobs(app) == 1

    (received,) = receiver.posts
    payload = received.verified(secret)
    assert payload["type"] == "entry.created"
    assert payload["timestamp"].endswith("Z")
    data = payload["data"]
    assert data["id"] == entry_id
    assert (data["type"], data["status"]) == ("comment", "pending")
    assert data["author"] == COMMENT["name"]
    assert data["website"] == COMMENT["website"]
    assert data["text"] == COMMENT["comment"]
    assert data["html"] == "<p>A thoughtful comment.</p>"
    assert data["post"] == {"slug": "a-post", "title": "A Post", "url": None}
    assert data["parent_id"] is None and data["source_url"] is None
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["User-Agent"].startswith("moderation/")
    assert received.headers["webhook-timestamp"].isdigit()
    (delivery,) = deliveries(app)
    assert received.headers["webhook-id"] == delivery.message_id
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("delivered", 1, 204)


def test_a_signature_made_with_another_secret_does_not_verify(app, post, admin, receiver):
    add_webhook(admin, receiver.url)
    a_comment(app)
    jobs.run_due_jobs(app)

    other = SECRET_PREFIX + base64.b64encode(b"x" * 32).decode()
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        receiver.posts[0].verified(other)


def test_the_payload_carries_no_email_and_no_ip_address(app, post, admin, receiver):
    add_webhook(admin, receiver.url)
    author = reader(app, 77)
    a_comment(app, author)
    jobs.run_due_jobs(app)

    (received,) = receiver.posts
    assert set(json.loads(received.body)["data"]) == DATA_KEYS
    assert COMMENT["email"].encode() not in received.body
    assert b"192.0.2.77" not in received.body
    assert b"@" not in received.body


def test_the_post_url_is_ours_when_our_address_is_known(make_app, post, admin, receiver):
    known = make_app(WEBHOOK_ALLOW_PRIVATE_HOSTS=True, SITE_URL="https://comments.example")
    add_webhook(admin, receiver.url)
    add_comment(known, "Said on a post of ours.")
    jobs.run_due_jobs(known)

    (payload,) = receiver.payloads()
    assert payload["data"]["post"]["url"] == "https://comments.example/posts/a-post/"


def test_approving_in_the_dashboard_posts_an_entry_status_changed_event(app, post, admin, receiver):
    secret = add_webhook(admin, receiver.url)
    entry_id = a_comment(app)
    jobs.run_due_jobs(app)

    act(admin, entry_id, "approve", Status.PENDING)
    jobs.run_due_jobs(app)

    created, changed = receiver.posts
    payload = changed.verified(secret)
    assert payload["type"] == "entry.status_changed"
    assert (payload["data"]["id"], payload["data"]["status"]) == (entry_id, "approved")
    assert changed.headers["webhook-id"] != created.headers["webhook-id"]


def test_deleting_in_the_dashboard_posts_an_entry_deleted_event(app, post, admin, receiver):
    secret = add_webhook(admin, receiver.url)
    entry_id = a_comment(app)
    act(admin, entry_id, "trash", Status.PENDING)
    act(admin, entry_id, "delete", Status.TRASH)

    jobs.run_due_jobs(app)

    events = [(each["type"], each["data"].get("status")) for each in receiver.payloads()]
    assert sorted(events) == [
        ("entry.created", "pending"),
        ("entry.deleted", None),
        ("entry.status_changed", "trash"),
    ]
    deleted = next(each for each in receiver.posts if b"entry.deleted" in each.body)
    assert deleted.verified(secret)["data"] == {"id": entry_id}
    assert {delivery.entry_id for delivery in deliveries(app)} == {entry_id}


def test_every_webhook_gets_every_event(app, post, admin, receiver, source_server):
    other = Receiver(source_server, "/other")
    secrets = add_webhook(admin, receiver.url), add_webhook(admin, other.url)
    a_comment(app)

    assert jobs.run_due_jobs(app) == 2

    assert receiver.posts[0].verified(secrets[0]) == other.posts[0].verified(secrets[1])


def test_a_receiver_answering_500_then_200_gets_a_retry_with_the_same_webhook_id(
    app, post, admin, receiver
):
    secret = add_webhook(admin, receiver.url)
    receiver.answers = [500, 200]
    a_comment(app)

    jobs.run_due_jobs(app)

    (delivery,) = deliveries(app)
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("queued", 1, 500)
    (row,) = delivery_rows(admin)
    assert (row["State"], row["Attempts"], row["Last answer"]) == ("queued", "1", "HTTP 500")
    assert row["Last error"] == "the receiver answered HTTP 500"

    jobs.run_due_jobs(app)

    first, second = receiver.posts
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.verified(secret) == second.verified(secret)
    assert first.body == second.body
    (row,) = delivery_rows(admin)
    assert (row["State"], row["Attempts"], row["Last answer"]) == ("delivered", "2", "HTTP 200")
    assert row["Last error"] == ""
    assert (row["Event"], row["Entry"], row["URL"]) == (
        "entry.created",
        str(delivery.entry_id),
        receiver.url,
    )


def test_a_receiver_that_never_answers_2xx_fails_the_delivery_after_the_last_attempt(
    app, post, admin, receiver
):
    add_webhook(admin, receiver.url)
    receiver.answers = [503] * webhooks.DELIVER_ATTEMPTS
    a_comment(app)

    while jobs.run_due_jobs(app):
        pass

    assert len(receiver.posts) == webhooks.DELIVER_ATTEMPTS
    (delivery,) = deliveries(app)
    assert delivery.state == DeliveryState.FAILED
    assert (delivery.attempts, delivery.status_code) == (webhooks.DELIVER_ATTEMPTS, 503)
    assert delivery.error == "the receiver answered HTTP 503"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (404, "the receiver answered HTTP 404"),
        (302, "the receiver answered HTTP 302 (a webhook follows no redirect)"),
    ],
)
def test_an_answer_that_is_not_2xx_is_retried_with_the_reason(
    app, post, admin, receiver, answer, reason
):
    add_webhook(admin, receiver.url)
    receiver.answers = [answer]
    a_comment(app)

    jobs.run_due_jobs(app)

    assert len(receiver.posts) == 1
    (delivery,) = deliveries(app)
    assert (delivery.state, delivery.status_code, delivery.error) == ("queued", answer, reason)


def test_a_receiver_that_cannot_be_reached_is_retried_with_the_reason(app, post, admin):
    with SourceServer() as gone:  # a port that was just listening, and is closed now
        url = gone.url("/hook")
    add_webhook(admin, url)
    a_comment(app)

    jobs.run_due_jobs(app)

    (delivery,) = deliveries(app)
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("queued", 1, None)
    assert delivery.error == "could not connect to the receiver"
    (row,) = delivery_rows(admin)
    assert (row["Last answer"], row["Last error"]) == ("no answer", delivery.error)


@pytest.mark.parametrize(
    ("port_allowed", "reason"),
    [
        (True, "the receiver's address is not public"),
        (False, "port {port} is not allowed (80, 443, 8080 only)"),
    ],
    ids=["address", "port"],
)
def test_without_allow_private_hosts_a_delivery_to_loopback_fails_and_sends_nothing(
    make_app, post, admin, receiver, source_server, monkeypatch, port_allowed, reason
):
    if port_allowed:  # so that the address rule is the one that refuses
        monkeypatch.setattr(fetch, "ALLOWED_PORTS", (80, 443, 8080, source_server.port))
    deployed = make_app(JOB_RETRY_SECONDS=0)  # WEBHOOK_ALLOW_PRIVATE_HOSTS as it defaults
    add_webhook(admin, receiver.url)
    add_comment(deployed, "A comment the webhook hears of.")

    assert jobs.run_due_jobs(deployed) == 1
    assert jobs.run_due_jobs(deployed) == 0  # no retry: the address will not change its kind

    assert receiver.posts == []
    (delivery,) = deliveries(deployed)
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    assert delivery.error == reason.format(port=source_server.port)
    (row,) = delivery_rows(admin)
    assert (row["State"], row["Last error"]) == ("failed", delivery.error)


def test_a_comment_with_no_webhook_queues_nothing(app, post):
    a_comment(app)
    assert deliveries(app) == []
    with app.app_context():
        kinds = db.get_session().scalars(select(Job.kind)).all()
    assert webhooks.DELIVER not in kinds


# The deliveries list and bulk actions --------------------------------------------------


def test_the_page_lists_the_latest_fifty_deliveries_newest_first(app, post, admin):
    add_webhook(admin, "https://hooks.example/")
    ids = seed_many(app, post.id, webhooks.RECENT_DELIVERIES + 5)
    form = page_form(admin, "/moderation/?status=pending", "form#bulk")
    send(admin, form, action="approve", ids=[str(each) for each in ids])

    rows = delivery_rows(admin)

    assert len(deliveries(app)) == webhooks.RECENT_DELIVERIES + 5
    assert len(rows) == webhooks.RECENT_DELIVERIES
    assert [int(row["Entry"]) for row in rows] == sorted(ids, reverse=True)[:50]
    assert {(row["Event"], row["State"], row["Attempts"]) for row in rows} == {
        ("entry.status_changed", "queued", "0")
    }
    assert "The latest 50, newest first." in admin.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize("hooks", [0, 2], ids=["no-webhook", "two-webhooks"])
def test_a_bulk_approve_of_many_entries_stays_one_update(
    app, post, admin, count_queries, source_server, hooks
):
    for number in range(hooks):
        add_webhook(admin, Receiver(source_server, f"/hook{number}").url)
    ids = seed_many(app, post.id, 200)
    form = page_form(admin, "/moderation/?status=pending", "form#bulk")

    with count_queries() as statements:
        response = send(admin, form, action="approve", ids=[str(each) for each in ids])

    assert response.status_code == 303
    updates = [each for each in statements if each.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    looked_up = [each for each in statements if "FROM webhooks" in each]
    assert len(looked_up) == 1
    assert len(deliveries(app)) == 200 * hooks
    with app.app_context():
        queued = select(func.count()).select_from(Job).where(Job.kind == webhooks.DELIVER)
        assert db.get_session().scalar(queued) == 200 * hooks


def test_the_deliveries_of_a_removed_entry_keep_its_id(app, post, admin, receiver):
    add_webhook(admin, receiver.url)
    entry_id = a_comment(app)
    act(admin, entry_id, "spam", Status.PENDING)
    act(admin, entry_id, "delete", Status.SPAM)
    jobs.run_due_jobs(app)

    assert [row["Entry"] for row in delivery_rows(admin)] == [str(entry_id)] * 3
    assert entries(app) == []
