"""The Approve, Spam and Trash links of a moderator's notice (issue 14): a GET shows the
entry and one button and changes nothing; the button's POST (CSRF token included, no
login) moves the entry through the one audited path, as that moderator, "from email".
A link is refused, with a page that says why and a 4xx status, once used, once expired,
after its moderator's password changed or account was disabled, when the entry is gone,
or when someone moderated it after the mail was sent. No page shows the author's email
or IP address: whoever holds the link can open it.
"""

import html
import time
from datetime import timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from moderation.infra import db, jobs
from moderation.infra.models import AuditEvent, Entry, UsedMailAction
from moderation.rules.statuses import Status
from moderation.services import mail_links, moderating
from tests.conftest import MODERATOR_PASSWORD, log_in
from tests.forms import page_form, send, submit_form
from tests.helpers import TEST_ACTOR, add_comment
from tests.http.test_mail_notices import MOD, SITE, add_moderator, links

READER_EMAIL = "ada.reader@example.net"  # tests/helpers.py: add_comment
READER_IP = "192.0.2.1"
HOLDER_IP = "198.51.100.7"  # whoever opens the link
MAX_AGE = 3_600
NEW_PASSWORD = "a new and longer passphrase"
BUTTON = "section.mail-action form"


@pytest.fixture
def app(make_app, mail_server):
    """The app sending through the test's SMTP server, at its public address; links live
    an hour."""
    return make_app(MAIL_URL=mail_server.url, SITE_URL=SITE, MAIL_ACTION_MAX_AGE=MAX_AGE)


class Notice(NamedTuple):
    """The entry a notice was about, and its links: button label -> path."""

    entry_id: int
    links: dict[str, str]


def notice_of(app, mail_server, text: str = "Is the kettle on?") -> Notice:
    """A comment is held; the notice "mod" gets of it, sent through the SMTP server."""
    entry_id = add_comment(app, text)
    jobs.run_due_jobs(app)
    received = [each for each in mail_server.to(MOD) if text in each.text][-1]
    return Notice(entry_id, {label: urlsplit(url).path for label, url in links(received).items()})


@pytest.fixture
def notice(app, mail_server, post) -> Notice:
    add_moderator(app)
    return notice_of(app, mail_server)


@pytest.fixture
def holder(app):
    """Whoever opens the link: a browser with no login, at an address of its own."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = HOLDER_IP
    return client


def opened(client, path: str, status: int) -> str:
    """Open a link's page; it answers `status` and never shows the reader's email or IP."""
    response = client.get(path)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == status, page
    assert READER_EMAIL not in page
    assert READER_IP not in page
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" in response.headers["Cache-Control"]
    return page


def press(client, path: str, status: int = 200) -> str:
    """Press the button of the link's page, as the page rendered it."""
    response = send(client, page_form(client, path, BUTTON))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == status, page
    assert READER_EMAIL not in page
    return page


def status_of(app, entry_id: int) -> Status | None:
    with app.app_context():
        entry = db.get_session().get(Entry, entry_id)
        return entry.status if entry else None


def audit(app) -> list[tuple[str, str, str, str, str]]:
    """Each audit line as (who, what, entries, detail, from where), oldest first."""
    with app.app_context():
        return [
            (event.username, event.action, event.entry_ids, event.detail, event.ip_address)
            for event in db.get_session().scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def moves(app) -> list[tuple[str, str, str, str, str]]:
    """The audit lines of moderation, without the logins."""
    return [line for line in audit(app) if line[1] != "login"]


def test_opening_a_link_shows_the_entry_and_one_button_and_changes_nothing(app, notice, holder):
    page = opened(holder, notice.links["Approve"], 200)
    assert "Approve this entry?" in page
    for shown in ("Ada Reader", "A Post", "Is the kettle on?", "pending"):
        assert shown in page
    opened(holder, notice.links["Approve"], 200)  # a mail scanner, then the moderator

    assert status_of(app, notice.entry_id) == Status.PENDING
    assert audit(app) == []
    with app.app_context():
        assert db.get_session().scalars(select(UsedMailAction)).all() == []


@pytest.mark.parametrize(
    ("button", "status", "action", "says"),
    [
        ("Approve", Status.APPROVED, "approve", "is now approved"),
        ("Spam", Status.SPAM, "spam", "is now marked as spam"),
        ("Trash", Status.TRASH, "trash", "is now moved to the trash"),
    ],
)
def test_the_button_moves_the_entry_as_the_moderator_from_email(
    app, notice, holder, button, status, action, says
):
    page = press(holder, notice.links[button])

    assert says in page
    assert status_of(app, notice.entry_id) == status
    assert audit(app) == [
        ("mod", action, str(notice.entry_id), "1 of 1 changed, from email", HOLDER_IP)
    ]


def test_the_button_works_over_https_with_the_referer_its_page_lets_go(app, notice, holder):
    secure = {"base_url": "https://localhost"}
    form = page_form(holder, notice.links["Approve"], BUTTON, secure)

    assert form.referrer.startswith("https://localhost/moderation/mail/action/")
    assert send(holder, form, request=secure).status_code == 200
    assert status_of(app, notice.entry_id) == Status.APPROVED


def test_a_link_works_once(app, notice, holder):
    form = page_form(holder, notice.links["Approve"], BUTTON)
    send(holder, form)

    again = send(holder, form)
    assert again.status_code == 410
    assert "used already" in again.get_data(as_text=True)
    page = opened(app.test_client(), notice.links["Approve"], 410)
    assert "Link already used" in page
    assert len(audit(app)) == 1


def test_another_button_of_the_same_mail_is_refused_once_one_was_used(app, notice, holder):
    press(holder, notice.links["Approve"])

    page = opened(holder, notice.links["Trash"], 409)
    assert "moderated after the mail was sent" in page
    assert "mod moderated it (approve)" in page
    assert status_of(app, notice.entry_id) == Status.APPROVED


@pytest.fixture
def clock_ahead(monkeypatch):
    """Move the links' clock `seconds` forward, as if that long had gone by."""

    def ahead(seconds: int) -> None:
        monkeypatch.setattr(
            TimestampSigner, "get_timestamp", lambda signer: int(time.time()) + seconds
        )

    return ahead


def test_a_link_works_until_mail_action_max_age_and_then_expires(app, notice, holder, clock_ahead):
    clock_ahead(MAX_AGE - 5)
    form = page_form(holder, notice.links["Approve"], BUTTON)
    clock_ahead(MAX_AGE + 5)

    page = opened(holder, notice.links["Approve"], 410)
    assert "This link has expired: mail links work for 1 hour" in page
    assert send(holder, form).status_code == 410
    assert status_of(app, notice.entry_id) == Status.PENDING
    assert audit(app) == []


def test_a_link_dies_with_a_password_change(app, notice, holder):
    moderator = log_in(app, "mod")
    changed = submit_form(
        moderator,
        "/moderation/password",
        'form[action="/moderation/password"]',
        current=MODERATOR_PASSWORD,
        new=NEW_PASSWORD,
        confirm=NEW_PASSWORD,
    )
    assert changed.status_code == 303

    page = opened(holder, notice.links["Approve"], 403)
    assert "the account's password was changed" in page
    assert status_of(app, notice.entry_id) == Status.PENDING


def test_a_link_of_a_disabled_account_is_refused_and_stays_dead_once_enabled(
    app, notice, holder, logged_in
):
    boss = logged_in("boss", admin=True)
    accounts_page = "/moderation/moderators"
    disable = 'form[action="/moderation/moderators/mod"]'
    assert submit_form(boss, accounts_page, disable).status_code == 303

    page = opened(holder, notice.links["Approve"], 403)
    assert "its account is disabled" in page
    assert submit_form(boss, accounts_page, disable).status_code == 303  # enabled again
    opened(holder, notice.links["Approve"], 403)
    assert status_of(app, notice.entry_id) == Status.PENDING


def test_a_link_after_someone_else_moderated_the_entry_says_who_and_when(
    app, notice, holder, logged_in
):
    form = page_form(holder, notice.links["Approve"], BUTTON)  # opened before…
    boss = logged_in("boss")
    trashed = submit_form(
        boss, "/moderation/?status=pending", f'#entry-{notice.entry_id} form[action$="/trash"]'
    )
    assert trashed.status_code == 303

    page = opened(holder, notice.links["Approve"], 409)
    assert "Moderated meanwhile" in page
    assert "boss moderated it (trash) on" in page
    with app.app_context():
        when = db.get_session().scalar(
            select(AuditEvent.created).where(AuditEvent.action == "trash")
        )
    assert f'datetime="{when.isoformat()}"' in page
    pressed = send(holder, form)  # …pressed after
    assert pressed.status_code == 409
    assert status_of(app, notice.entry_id) == Status.TRASH
    assert [line[:2] for line in moves(app)] == [("boss", "trash")]


def test_a_link_to_a_deleted_entry_is_refused(app, notice, holder):
    with app.app_context():
        session = db.get_session()
        moderating.moderate(session, TEST_ACTOR, [notice.entry_id], moderating.Action.TRASH)
        moderating.moderate(session, TEST_ACTOR, [notice.entry_id], moderating.Action.DELETE)
        session.commit()

    page = opened(holder, notice.links["Spam"], 404)
    assert "This entry is gone" in page


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda path: path[:-4], id="cut short"),
        pytest.param(lambda path: path + "x", id="one character more"),
        pytest.param(
            lambda path: (
                "/moderation/mail/action/"
                + URLSafeTimedSerializer("another-secret", salt=mail_links.SALT).dumps(
                    [1, "approved", 1, 0]
                )
            ),
            id="another secret key",
        ),
        pytest.param(
            lambda path: (
                "/moderation/mail/action/"
                + URLSafeTimedSerializer("test-secret", salt="another-salt").dumps(
                    [1, "approved", 1, 0]
                )
            ),
            id="another salt",
        ),
    ],
)
def test_a_link_that_is_not_ours_is_refused(app, notice, holder, forged):
    page = opened(holder, forged(notice.links["Approve"]), 400)
    assert "This link is not valid" in page
    assert holder.post(forged(notice.links["Approve"])).status_code == 400
    assert status_of(app, notice.entry_id) == Status.PENDING


def test_the_button_without_its_csrf_token_changes_nothing_and_is_offered_again(
    app, notice, holder
):
    holder.get(notice.links["Approve"])
    response = holder.post(notice.links["Approve"], data={})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This page had expired. Please press the button again." in page
    assert status_of(app, notice.entry_id) == Status.PENDING
    assert send(holder, page_form(holder, notice.links["Approve"], BUTTON)).status_code == 200
    assert status_of(app, notice.entry_id) == Status.APPROVED


def test_a_link_acts_as_its_moderator_whoever_is_logged_in(app, notice, logged_in):
    boss = logged_in("boss", admin=True)
    press(boss, notice.links["Spam"])

    assert [line[:2] for line in moves(app)] == [("mod", "spam")]


def test_used_links_past_their_age_are_cleared_when_a_link_is_used(
    app, mail_server, notice, holder
):
    press(holder, notice.links["Approve"])
    with app.app_context():
        session = db.get_session()
        [used] = session.scalars(select(UsedMailAction)).all()
        used.created -= timedelta(seconds=MAX_AGE + 1)
        session.commit()
        old = used.digest
    second = notice_of(app, mail_server, "Another comment.")

    press(holder, second.links["Approve"])
    with app.app_context():
        kept = db.get_session().scalars(select(UsedMailAction.digest)).all()
    assert len(kept) == 1
    assert old not in kept
