"""Readers' notifications (issue 14), end to end through a real SMTP server: the unticked
"Notify me" box, double opt-in (nothing but the confirmation before it is confirmed), the
confirm page (GET changes nothing, its POST confirms), "published" and "reply" mails on
approval only and once each, the daily cap, one-click unsubscribe (RFC 8058) and no
reader's address in another's mail or in any page.

Every delivery goes through `deliver`, which checks each new message as every reader
mail must be: one recipient, List-Unsubscribe (https) and List-Unsubscribe-Post headers,
and the unsubscribe link visible in both parts.
"""

import logging
import re
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from openapi_core import OpenAPI
from sqlalchemy import select

from moderation.infra import db, jobs
from moderation.infra.models import Entry, Mail, Subscriber
from moderation.rules.statuses import MailKind, Status
from moderation.services import sites
from tests.forms import page_form, send, submit_form
from tests.helpers import COMMENT, reader, save_settings, seed_many, submit, time_passes
from tests.http.test_api import Api, served_document
from tests.mailserver import Received

SITE = "https://comments.example"
BLOG = "https://blog.example"
PAGE = f"{BLOG}/2026/hello/"
ADA = COMMENT["email"]  # ada.reader@example.net
BO = "Bo.Replier@Example.org"  # typed with capitals: mailed lowercased
CY = "cy.stranger@example.com"
NOTIFY = "Notify me of replies and when my comment is published"
UNSUBSCRIBE = re.compile(re.escape(SITE) + r"/mail/unsubscribe/([\w-]+)")
CONFIRM = re.compile(re.escape(SITE) + r"/mail/confirm/([\w-]+)")


@pytest.fixture
def site_url() -> str | None:
    return SITE


@pytest.fixture
def mail_cap() -> int:
    return 10


@pytest.fixture
def app(make_app, mail_server, site_url, mail_cap):
    """The app sending through the test's SMTP server, at its public address (the links
    in readers' mails need it)."""
    return make_app(MAIL_URL=mail_server.url, SITE_URL=site_url, MAIL_DAILY_CAP=mail_cap)


@pytest.fixture
def blog(app) -> str:
    """A registered site, for the embed frame and the API."""
    with app.app_context():
        session = db.get_session()
        sites.add_site(session, BLOG)
        session.commit()
    return BLOG


# Readers, moderators and the mail they get.


def comment(app, number: int = 1, notify: bool = True, **fields) -> int:
    """A reader (client `number`) sends the post page's form, the box ticked or not;
    return the new entry's id."""
    time_passes(app)  # the flood rule: their previous comment was a while ago
    response = submit(reader(app, number), notify="y" if notify else None, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    return newest(app).id


def newest(app) -> Entry:
    with app.app_context():
        return db.get_session().scalar(select(Entry).order_by(Entry.id.desc()).limit(1))


def tab(app, entry_id: int) -> str:
    """The queue tab that lists the entry as it is now."""
    with app.app_context():
        status = db.get_session().get(Entry, entry_id).status
    return f"/moderation/?status={status}"


def act(moderator, app, entry_id: int, action: str = "approve"):
    """A moderator clicks an entry's button on the queue tab that lists it."""
    selector = f'#entry-{entry_id} form[action$="/{action}"]'
    response = submit_form(moderator, tab(app, entry_id), selector)
    assert response.status_code == 303, response.get_data(as_text=True)


def deliver(app, mail_server) -> list[Received]:
    """Send the queued mail; return the messages the server took now, each checked as
    every reader mail must be."""
    before = len(mail_server.received)
    jobs.run_due_jobs(app)
    new = mail_server.received[before:]
    for message in new:
        assert len(message.recipients) == 1
        assert message.message["To"] == message.recipients[0]
        # As sent: one line, never encoded words, which no mail client would follow.
        unsubscribe = dict(message.message.raw_items())["List-Unsubscribe"]
        assert re.fullmatch(f"<{UNSUBSCRIBE.pattern}>", unsubscribe), unsubscribe
        assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = unsubscribe[1:-1]
        assert link in message.text and f'href="{link}"' in message.html
    return new


def kinds(messages: list[Received]) -> list[tuple[str, str]]:
    """(recipient, subject) of each message."""
    return [(each.recipients[0], str(each.message["Subject"])) for each in messages]


def link(pattern: re.Pattern, message: Received) -> str:
    """The path of the link of ours that `pattern` matches in the message's text."""
    return urlsplit(pattern.search(message.text).group(0)).path


def confirm(app, message: Received):
    """The reader opens the confirmation link of the mail and presses Confirm."""
    client = app.test_client()
    response = submit_form(client, link(CONFIRM, message), "form.subscription-form")
    assert response.status_code == 303
    return client.get(response.location)


def subscribed(app, mail_server, number: int = 1, email: str = ADA) -> int:
    """A reader who ticked the box under a comment and confirmed; return that comment."""
    entry_id = comment(app, number, email=email)
    [asked] = deliver(app, mail_server)
    assert confirm(app, asked).status_code == 200
    return entry_id


def subscriber(app, email: str = ADA) -> Subscriber | None:
    with app.app_context():
        query = select(Subscriber).where(Subscriber.email == email.lower())
        return db.get_session().scalar(query)


def mails(app) -> list[Mail]:
    with app.app_context():
        return list(db.get_session().scalars(select(Mail).order_by(Mail.id)))


def page_text(response) -> str:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ")


PUBLISHED = "Your comment on “A Post” was published"
REPLY = "New reply to your comment on “A Post”"
ASKED = "Please confirm your address"


# The box.


@pytest.mark.parametrize("where", ["/posts/a-post/", f"/embed/thread?{urlencode({'url': PAGE})}"])
def test_the_form_shows_an_unticked_notify_box_on_the_post_page_and_in_the_frame(
    client, post, blog, where
):
    page = BeautifulSoup(client.get(where).get_data(as_text=True), "html.parser")
    box = page.select_one("form.comment-form input#notify")
    assert box["type"] == "checkbox" and box["name"] == "notify"
    assert not box.has_attr("checked")
    assert page.select_one("label[for=notify]").get_text() == NOTIFY
    assert "notify" not in page_form(client, where, "form.comment-form").fields


@pytest.mark.parametrize(("ticked", "stored"), [("y", True), (None, False)])
def test_the_box_is_stored_on_the_entry_as_the_reader_left_it(app, post, ticked, stored):
    assert submit(reader(app), notify=ticked).status_code == 303
    assert newest(app).notify is stored


def test_the_frames_form_takes_the_box_too(app, client, blog, clock, mail_server):
    form = page_form(client, f"/embed/thread?{urlencode({'url': PAGE})}", "form.comment-form")
    clock.advance(30)  # the reader took their time over the form
    response = send(client, form, request={"headers": {"Origin": BLOG}}, **COMMENT, notify="y")
    assert response.status_code == 303
    assert newest(app).notify is True
    assert kinds(deliver(app, mail_server)) == [(ADA, ASKED)]


def test_a_form_sent_back_with_an_error_keeps_the_box_ticked(app, post):
    page = submit(reader(app), name="", notify="y")
    assert page.status_code == 400
    box = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("input#notify")
    assert box.has_attr("checked")


def test_the_same_comment_with_the_box_ticked_is_still_a_duplicate(app, post):
    comment(app, notify=False)
    assert submit(reader(app), notify="y").status_code == 409


# Double opt-in.


def test_until_the_address_is_confirmed_it_gets_the_confirmation_and_nothing_else(
    app, post, moderator, mail_server
):
    mine = comment(app)
    [asked] = deliver(app, mail_server)
    assert kinds([asked]) == [(ADA, ASKED)]
    assert CONFIRM.search(asked.text) and CONFIRM.search(asked.html)
    assert COMMENT["comment"] not in asked.text + asked.html  # nothing the sender typed
    act(moderator, app, mine)  # published before it is confirmed
    reply = comment(app, 2, email=BO, name="Bo", parent=str(mine), notify=False)
    act(moderator, app, reply)

    assert deliver(app, mail_server) == []
    assert subscriber(app).confirmed is None


def test_the_confirm_page_confirms_by_its_post_and_its_get_changes_nothing(app, post, mail_server):
    comment(app)
    [asked] = deliver(app, mail_server)
    client = app.test_client()
    for _ in range(2):  # a mail scanner fetches the link, then the reader opens it
        page = client.get(link(CONFIRM, asked))
        assert page.status_code == 200
    assert subscriber(app).confirmed is None
    form = page_form(client, link(CONFIRM, asked), "form.subscription-form")
    assert form.method == "post" and "csrf_token" not in form.fields
    assert "Set-Cookie" not in page.headers  # no session: the button's page sets no cookie

    confirmed = confirm(app, asked)

    assert subscriber(app).confirmed is not None
    assert "Address confirmed" in page_text(confirmed)
    assert ADA not in confirmed.get_data(as_text=True) + page.get_data(as_text=True)
    assert confirmed.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("headers", [{"Origin": "https://elsewhere.example"}, {}])
def test_the_confirm_button_sent_from_elsewhere_is_refused_and_confirms_nothing(
    app, post, mail_server, headers
):
    comment(app)
    [asked] = deliver(app, mail_server)
    response = app.test_client().post(link(CONFIRM, asked), headers=headers)
    assert response.status_code == 403
    assert "can be sent only from the page that shows it" in page_text(response)
    assert subscriber(app).confirmed is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/mail/confirm/no-such-key"),
        ("POST", "/mail/confirm/no-such-key"),
        ("GET", "/mail/unsubscribe/no-such-key"),
        ("POST", "/mail/unsubscribe/no-such-key"),
    ],
)
def test_an_unknown_key_is_a_404_with_a_clear_page(client, method, path):
    response = client.open(path, method=method, headers={"Origin": "http://localhost"})
    assert response.status_code == 404
    assert "This link is not known here" in page_text(response)


def test_an_unconfirmed_address_is_asked_again_only_after_a_day(app, post, mail_server):
    comment(app)
    comment(app, comment="Another thought.")
    assert kinds(deliver(app, mail_server)) == [(ADA, ASKED)]
    with app.app_context():
        session = db.get_session()
        for each in session.scalars(select(Mail)):
            each.created -= timedelta(hours=25)
        session.commit()

    comment(app, comment="A third thought.")

    assert kinds(deliver(app, mail_server)) == [(ADA, ASKED)]


def test_a_confirmed_address_is_asked_nothing_more(app, post, mail_server):
    subscribed(app, mail_server)
    comment(app, comment="Another thought.")
    assert deliver(app, mail_server) == []


# The notices.


def test_a_confirmed_reader_is_mailed_once_when_their_next_comment_is_published(
    app, post, moderator, mail_server
):
    subscribed(app, mail_server)
    mine = comment(app, comment="Published with a <em>mail</em> <script>x</script>.")
    quiet = comment(app, notify=False, comment="Published without one.")
    act(moderator, app, quiet)
    assert deliver(app, mail_server) == []

    act(moderator, app, mine)

    [published] = deliver(app, mail_server)
    assert kinds([published]) == [(ADA, PUBLISHED)]
    assert f"{SITE}/comments/{mine}" in published.text
    assert f"{SITE}/posts/a-post/" in published.text
    assert "Published with a <em>mail</em> <script>x</script>." in published.text  # as typed
    assert f'href="{SITE}/comments/{mine}"' in published.html
    # The sanitised text, as the page shows it.
    assert "<em>mail</em>" in published.html and "<script>" not in published.html
    act(moderator, app, mine, "unapprove")
    act(moderator, app, mine)
    assert deliver(app, mail_server) == []  # each mail at most once


def test_a_comment_published_at_once_by_the_rules_mails_its_confirmed_author(
    app, post, mail_server
):
    subscribed(app, mail_server)
    save_settings(app, hold_all=False)
    mine = comment(app, comment="No moderator needed.")
    assert newest(app).status == Status.APPROVED
    [published] = deliver(app, mail_server)
    assert kinds([published]) == [(ADA, PUBLISHED)]
    assert f"{SITE}/comments/{mine}" in published.text


def test_an_approved_reply_mails_the_confirmed_author_but_a_held_or_spam_one_does_not(
    app, post, moderator, mail_server
):
    mine = subscribed(app, mail_server)
    act(moderator, app, mine)
    assert kinds(deliver(app, mail_server)) == [(ADA, PUBLISHED)]
    held = comment(app, 2, email=BO, name="Bo Replier", parent=str(mine), notify=False,
                   comment="I see it <em>differently</em>.")  # fmt: skip
    comment(app, 3, email=CY, name="Spammer", parent=str(mine), homepage="http://spam.example")
    assert newest(app).status == Status.SPAM
    assert deliver(app, mail_server) == []  # the spammer's ticked box asks nothing either

    act(moderator, app, held)

    [reply] = deliver(app, mail_server)
    assert kinds([reply]) == [(ADA, REPLY)]
    assert "Bo Replier" in reply.text and "I see it <em>differently</em>." in reply.text
    assert "Bo Replier" in reply.html and "<p>I see it <em>differently</em>.</p>" in reply.html
    assert f"{SITE}/comments/{held}" in reply.text and f"{SITE}/posts/a-post/" in reply.text


def test_a_reader_answering_their_own_comment_gets_no_reply_mail(app, post, moderator, mail_server):
    mine = subscribed(app, mail_server)
    act(moderator, app, mine)
    deliver(app, mail_server)
    # The same address, typed otherwise.
    answer = comment(app, email=ADA.upper(), parent=str(mine), notify=False, comment="And more.")
    act(moderator, app, answer)
    assert deliver(app, mail_server) == []


def test_a_moderators_reply_from_the_dashboard_mails_the_confirmed_author(
    app, post, moderator, mail_server
):
    mine = subscribed(app, mail_server)
    selector = f'#entry-{mine} form[action$="/reply"]'
    response = submit_form(moderator, tab(app, mine), selector, comment="Thank you, Ada.")
    assert response.status_code == 303
    # Its parent, pending, is approved with the reply: published, then answered.
    assert kinds(deliver(app, mail_server)) == [(ADA, PUBLISHED), (ADA, REPLY)]


def test_no_mail_names_another_readers_address(app, post, moderator, mail_server):
    ada = subscribed(app, mail_server)
    act(moderator, app, ada)
    deliver(app, mail_server)
    bo = subscribed(app, mail_server, 2, email=BO)  # a comment of Bo's own
    act(moderator, app, bo)
    answers = [
        comment(app, 2, email=BO, name="Bo", parent=str(ada), comment="To Ada."),
        comment(app, 1, email=ADA, parent=str(bo), comment="To Bo."),
    ]
    for each in answers:
        act(moderator, app, each)
    deliver(app, mail_server)

    received = mail_server.received
    assert sorted(kinds(received)) == sorted(
        [
            (ADA, ASKED), (ADA, PUBLISHED), (ADA, REPLY), (ADA, PUBLISHED),
            (BO.lower(), ASKED), (BO.lower(), PUBLISHED), (BO.lower(), REPLY),
            (BO.lower(), PUBLISHED),
        ]
    )  # fmt: skip
    for message in received:
        # Every header, and both parts as sent and decoded.
        whole = "\n".join([message.message.as_string(), message.text, message.html]).lower()
        others = {ADA, BO.lower()} - {message.recipients[0]}
        for other in others:
            assert other not in whole, (message.message["Subject"], other)


# Unsubscribing.


def test_one_click_unsubscribe_needs_no_cookie_nor_token_and_takes_effect_at_once(
    app, post, moderator, mail_server
):
    mine = subscribed(app, mail_server)
    asked = mail_server.received[0]
    stranger = app.test_client()  # a mail client: no cookie, no token

    response = stranger.post(
        link(UNSUBSCRIBE, asked),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "Unsubscribed" in page_text(response)
    assert ADA not in response.get_data(as_text=True)
    assert stranger.get_cookie("session") is None
    assert subscriber(app).unsubscribed is not None
    act(moderator, app, mine)
    assert deliver(app, mail_server) == []


def test_the_unsubscribe_page_shows_one_button_and_its_get_changes_nothing(app, post, mail_server):
    subscribed(app, mail_server)
    path = link(UNSUBSCRIBE, mail_server.received[0])
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and ADA not in page.get_data(as_text=True)
    assert subscriber(app).unsubscribed is None
    form = page_form(client, path, "form.subscription-form")
    assert (form.method, form.action) == ("post", path)

    response = send(client, form)

    assert response.status_code == 200
    assert subscriber(app).unsubscribed is not None
    assert "Unsubscribed" in page_text(client.get(path))


def test_an_unsubscribed_reader_who_ticks_the_box_again_must_confirm_again(
    app, post, moderator, mail_server
):
    subscribed(app, mail_server)
    app.test_client().post(link(UNSUBSCRIBE, mail_server.received[0]))
    comment(app, notify=False, comment="Not asked for.")
    assert deliver(app, mail_server) == []  # unsubscribed: not even a confirmation

    again = comment(app, comment="Asked for again.")
    [asked] = deliver(app, mail_server)
    assert kinds([asked]) == [(ADA, ASKED)]
    act(moderator, app, again)
    assert deliver(app, mail_server) == []  # until it is confirmed
    assert subscriber(app).unsubscribed is not None

    confirm(app, asked)
    assert subscriber(app).unsubscribed is None
    later = comment(app, comment="Confirmed again.")
    act(moderator, app, later)
    assert kinds(deliver(app, mail_server)) == [(ADA, PUBLISHED)]


# Limits.


@pytest.mark.parametrize("mail_cap", [2])
def test_no_address_gets_more_than_the_daily_cap_and_the_log_does_not_name_it(
    app, post, moderator, mail_server, caplog
):
    subscribed(app, mail_server)  # the confirmation counts: 1 of 2
    ids = [comment(app, comment=f"Thought number {number}.") for number in range(3)]
    caplog.set_level(logging.INFO)
    response = submit_form(
        moderator, "/moderation/?status=pending", "form#bulk", action="approve",
        ids=[str(each) for each in ids],
    )  # fmt: skip
    assert response.status_code == 303

    assert kinds(deliver(app, mail_server)) == [(ADA, PUBLISHED)]
    assert [each.kind for each in mails(app)] == [MailKind.CONFIRM, MailKind.PUBLISHED]
    logged = [record for record in caplog.records if "MAIL_DAILY_CAP" in record.getMessage()]
    assert [record.levelno for record in logged] == [logging.INFO]
    assert "ada" not in logged[0].getMessage().lower()


@pytest.mark.parametrize("seeded", [10, 500])
def test_a_bulk_approval_finds_and_weighs_the_readers_to_mail_in_four_queries(
    app, post, moderator, mail_server, count_queries, seeded
):
    readers = [(1, ADA), (2, BO), (3, CY)]
    held = [subscribed(app, mail_server, number, email) for number, email in readers]
    ids = held + seed_many(app, post.id, seeded)
    form = page_form(moderator, "/moderation/?status=pending", "form#bulk")

    with count_queries() as statements:
        response = send(moderator, form, action="approve", ids=[str(each) for each in ids])

    assert response.status_code == 303
    updates = [each for each in statements if each.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    ours = [
        each
        for each in statements
        if each.lstrip().upper().startswith("SELECT")
        and ("subscribers" in each or "mails" in each or "parent.notify" in each)
    ]
    assert len(ours) == 4  # the entries, their subscribers, mails sent, mails today
    written = [each for each in statements if each.lstrip().upper().startswith("INSERT INTO MAILS")]
    assert len(written) == 3
    assert sorted(kinds(deliver(app, mail_server))) == sorted(
        [(ADA, PUBLISHED), (BO.lower(), PUBLISHED), (CY, PUBLISHED)]
    )


@pytest.mark.parametrize("site_url", [None])
def test_without_its_own_address_the_service_writes_no_reader_mail(app, post, mail_server):
    comment(app)
    assert deliver(app, mail_server) == []
    assert mails(app) == [] and subscriber(app) is None


# Nothing says who is subscribed.


def _shape(response) -> tuple:
    """The answer with its ids blanked: what a reader sees of it."""
    body = re.sub(r"\d+", "N", response.get_data(as_text=True))
    location = re.sub(r"\d+", "N", response.headers.get("Location", ""))
    return response.status_code, location, body


def test_the_forms_answer_is_the_same_whether_the_address_was_known(app, post, mail_server):
    subscribed(app, mail_server)  # ADA: known and confirmed
    time_passes(app)
    known = submit(reader(app, 4), email=ADA, notify="y", comment="Is anyone there?")
    unknown = submit(reader(app, 5), email=CY, notify="y", comment="Is anyone there?")
    assert known.status_code == 303
    assert _shape(known) == _shape(unknown)


@pytest.fixture
def api(app, client) -> Api:
    """The API through `client`, each answer checked against the document the app serves."""
    return Api(client, OpenAPI.from_dict(served_document(app)))


def test_the_openapi_document_describes_notify_as_an_optional_boolean_false_by_default(app):
    schema = served_document(app)["components"]["schemas"]["CommentRequest"]
    assert schema["properties"]["notify"]["type"] == "boolean"
    assert schema["properties"]["notify"]["default"] is False
    assert "Notify me" in schema["properties"]["notify"]["description"]
    assert "notify" not in schema.get("required", [])


def api_comment(app, api, clock, number: int, form_encoded: bool = False, **fields):
    """A reader (address `number`) sends a comment to the API as embed.js does."""
    stamp = api.get("thread", query_string={"url": PAGE}).get_json()["form"]["stamp"]
    clock.advance(30)
    time_passes(app)
    body = {"url": PAGE, "stamp": stamp, **COMMENT, "comment": f"Via the API {number}.", **fields}
    options = {"data": body} if form_encoded else {"json": body}
    api.client.environ_base["REMOTE_ADDR"] = f"192.0.2.{number}"
    return api.post("comments", headers={"Origin": BLOG}, **options)


@pytest.mark.parametrize(
    ("fields", "form_encoded", "stored"),
    [
        ({}, False, False),
        ({"notify": False}, False, False),
        ({"notify": True}, False, True),
        ({"notify": "true"}, True, True),
        ({"notify": "false"}, True, False),
    ],
)
def test_the_api_takes_notify_and_asks_for_confirmation_when_it_is_true(
    app, api, blog, clock, mail_server, fields, form_encoded, stored
):
    response = api_comment(app, api, clock, 1, form_encoded, **fields)
    assert response.status_code == 201, response.get_json()
    assert newest(app).notify is stored
    assert kinds(deliver(app, mail_server)) == ([(ADA, ASKED)] if stored else [])


def test_the_apis_answer_is_the_same_whether_the_address_was_known(
    app, api, post, blog, clock, mail_server
):
    subscribed(app, mail_server)
    known = api_comment(app, api, clock, 2, notify=True).get_json()
    unknown = api_comment(app, api, clock, 3, notify=True, email=CY).get_json()
    for answer in (known, unknown):  # what differs with the comment, not with the address
        answer["id"] = answer["token"] = None
        for field in ("id", "created", "html", "avatar"):
            answer["entry"][field] = None
    assert known == unknown


@pytest.mark.parametrize("key", ["a%00b", "9" * 5000, "not%20a%20key"])
@pytest.mark.parametrize("page", ["confirm", "unsubscribe"])
def test_a_key_that_is_no_key_of_ours_is_404_even_a_nul_on_postgresql(client, page, key):
    ours = {"Origin": "http://localhost"}
    for response in (
        client.get(f"/mail/{page}/{key}"),
        client.post(f"/mail/{page}/{key}", headers=ours),
    ):
        assert response.status_code == 404
