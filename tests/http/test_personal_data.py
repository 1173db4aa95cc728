"""Issue 15: personal data by email address. `flask privacy export|erase` and the
administrators' Personal data page export every entry, subscription, mail, data request
and audit line that holds an address, and erase it from every table (a moderator's block
alone stays); replies stay threaded."""

import hashlib
import json
from datetime import date
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from moderation.infra import db, jobs
from moderation.infra.models import AuditEvent, Base, Entry, Moderator, Subscriber
from moderation.rules import policy as rules
from moderation.rules.statuses import MailKind, MailNotices, Status
from moderation.services import (
    comments,
    data_requests,
    moderating,
    notices,
    personal_data,
    subscriptions,
)
from moderation.services.moderating import Action
from tests.conftest import create_moderator, log_in
from tests.forms import submit_form
from tests.helpers import TEST_ACTOR

SITE = "https://comments.example"
ADDRESS = "Zoe.Private@Example.org"  # typed with capitals; subscribers keep it lowercased
OTHER = "other.reader@example.net"


def _traces(email: str) -> set[str]:
    """The address as typed, lowercased, and the plain hashes of each."""
    found = {email, email.lower()}
    for written in (email, email.lower()):
        for algorithm in ("md5", "sha1", "sha256"):
            found.add(hashlib.new(algorithm, written.encode()).hexdigest())
    return found


TRACES = _traces(ADDRESS)


def _text(value) -> str:
    """A column's value as a search sees it: bytes decoded, and a stored mail's parts as
    its reader sees them (quoted-printable or base64 would hide an address)."""
    if not isinstance(value, bytes):
        return str(value)
    parsed = message_from_bytes(value, policy=policy.default)
    parts = [part.get_content() for part in parsed.walk() if part.get_content_maintype() == "text"]
    return "\n".join([value.decode("utf-8", "replace"), *map(str, parsed.values()), *parts])


def dump(app) -> dict[str, str]:
    """Every column of every row of every table, as text, by table."""
    with app.app_context():
        session = db.get_session()
        return {
            table.name: "\n".join(
                _text(value) for row in session.execute(select(table)) for value in row
            )
            for table in Base.metadata.sorted_tables
        }


def traces_in(tables: dict[str, str]) -> dict[str, int]:
    """How often the address (or a hash of it) appears in each table that holds it."""
    counts = {
        name: sum(text.lower().count(trace.lower()) for trace in TRACES)
        for name, text in tables.items()
    }
    return {name: count for name, count in counts.items() if count}


def comment(app, text: str, email: str = ADDRESS, parent_id=None, notify=False) -> int:
    """A reader's comment through the service, held for moderation; its id."""
    facts = rules.Facts(
        text=text,
        name="Zoe Private" if email == ADDRESS else "Other Reader",
        email=email,
        website="https://zoe.example/" if email == ADDRESS else "",
        ip_address="192.0.2.77",
        user_agent="Zoe's browser",
    )
    with app.app_context():
        session = db.get_session()
        submission = comments.Submission(facts, parent_id, notify)
        entry_id = comments.submit_comment(session, "a-post", submission).id
        session.commit()
        return entry_id


def act(app, action: Action, *ids: int) -> None:
    with app.app_context():
        session = db.get_session()
        moderating.moderate(session, TEST_ACTOR, ids, action)
        session.commit()


def seed(app, mail_server) -> dict[str, int]:
    """The address in every place it can be: comments of each status, a reply to
    another's, another's reply to it, a confirmed subscription and its mails, moderators'
    notices (one about an entry deleted since) and digest naming it, a data request, a
    block, and another's text quoting it."""
    create_moderator(app, "boss", admin=True)
    create_moderator(app, "digester")
    with app.app_context():
        session = db.get_session()
        for username, choice in (("boss", MailNotices.EVERY), ("digester", MailNotices.DIGEST)):
            moderator = session.scalar(select(Moderator).where(Moderator.username == username))
            notices.choose(session, TEST_ACTOR, moderator, f"{username}@example.com", choice)
        session.commit()
    other = comment(app, "A first word.", email=OTHER)
    act(app, Action.APPROVE, other)
    ids = {"other": other, "first": comment(app, "Zoe's first.", notify=True)}
    jobs.run_due_jobs(app)  # the notice, and the confirmation it asked for
    with app.app_context():
        session = db.get_session()
        key = session.scalar(select(Subscriber.key))
        subscriptions.confirm(session, key)
        session.commit()
    ids["reply"] = comment(app, "Zoe answers.", parent_id=other)
    ids["spam"] = comment(app, "Zoe's spam.")
    ids["trash"] = comment(app, "Zoe's trash.")
    ids["pending"] = comment(app, "Zoe waits.")
    act(app, Action.APPROVE, ids["first"], ids["reply"])  # "published" to Zoe, for the first
    act(app, Action.TRASH, ids["trash"])
    ids["answer"] = comment(app, "Other answers Zoe.", email=OTHER, parent_id=ids["first"])
    act(app, Action.APPROVE, ids["answer"])  # "reply" to Zoe
    ids["quote"] = comment(app, f"Write to {ADDRESS.lower()}, she knows.", email=OTHER)
    gone = comment(app, "Zoe's deleted.")  # its notice stays, about no entry
    act(app, Action.TRASH, gone)
    act(app, Action.DELETE, gone)
    with app.app_context():
        session = db.get_session()
        moderating.spam_and_block(session, TEST_ACTOR, ids["spam"], ["email"])
        notices.send_digest(session, date.today())  # lists the waiting entries, Zoe's too
        data_requests.ask(session, ADDRESS.upper())
        session.commit()
    jobs.run_due_jobs(app)
    assert mail_server.to(ADDRESS.lower()), "the reader's mails were sent"
    return ids


@pytest.fixture
def app(make_app, mail_server):
    return make_app(MAIL_URL=mail_server.url, SITE_URL=SITE)


def export_with(how: str, app, tmp_path) -> dict:
    """Export the address (typed in another case) by the command line or the page."""
    typed = ADDRESS.upper()
    if how == "cli":
        output = tmp_path / "export.json"
        result = app.test_cli_runner().invoke(
            args=["privacy", "export", typed, "--output", str(output)]
        )
        assert result.exit_code == 0, result.output
        return json.loads(output.read_text(encoding="utf-8"))
    boss = log_in(app, "boss")
    response = submit_form(
        boss, "/moderation/personal-data", "form.personal-data", button="Export", email=typed
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="personal-data.json"'
    assert not any(trace in str(response.headers) for trace in TRACES)
    return response.get_json()


def erase_with(how: str, app) -> str:
    """Erase the address: by the command line (anonymise) or the page (delete); what
    the one who asked is told."""
    if how == "cli":
        result = app.test_cli_runner().invoke(args=["privacy", "erase", ADDRESS])
        assert result.exit_code == 0, result.output
        return result.output
    helper = log_in(app, "digester")
    assert helper.get("/moderation/personal-data").status_code == 403  # administrators alone
    boss = log_in(app, "boss")
    response = submit_form(
        boss,
        "/moderation/personal-data",
        "form.personal-data",
        button="Erase",
        email=ADDRESS.lower(),
        delete="y",
    )
    assert response.status_code == 303
    return boss.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize("how", ["cli", "dashboard"])
def test_export_and_erase_leave_no_trace_of_the_address_in_the_database(
    app, post, mail_server, tmp_path, how
):
    ids = seed(app, mail_server)
    zoes = sorted(ids[name] for name in ("first", "reply", "spam", "trash", "pending"))
    before = traces_in(dump(app))
    assert {"entries", "subscribers", "mails", "data_requests", "audit_log"} <= before.keys()

    exported = export_with(how, app, tmp_path)
    assert [entry["id"] for entry in exported["entries"]] == zoes
    first = next(entry for entry in exported["entries"] if entry["id"] == ids["first"])
    assert first["email"] == ADDRESS and first["ip_address"] == "192.0.2.77"
    assert first["post"] == {"slug": "a-post", "title": post.title, "url": None}
    assert exported["subscription"]["email"] == ADDRESS.lower()
    assert exported["subscription"]["confirmed"] is not None
    assert sorted(mail["kind"] for mail in exported["mails"]) == sorted(
        [MailKind.CONFIRM, MailKind.PUBLISHED, MailKind.REPLY, MailKind.DATA]
    )
    assert len(exported["data_requests"]) == 1
    actions = {line["action"] for line in exported["audit_log"]}
    assert {"approve", "trash", "spam", "block"} <= actions
    assert all("ip_address" not in line for line in exported["audit_log"])
    assert traces_in(dump(app)) == before  # exporting wrote no new trace

    told = erase_with(how, app)
    assert "stays on the disallowed words" in told
    tables = dump(app)
    # A moderator's block stays, as WordPress keeps its disallowed list: erasing one's
    # data does not unblock a spammer.
    assert traces_in({"discussion_settings": tables.pop("discussion_settings")})
    assert traces_in(tables) == {}

    with app.app_context():
        session = db.get_session()
        left = {entry.id: entry for entry in session.scalars(select(Entry))}
        erase_line = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert left[ids["answer"]].parent_id == ids["first"]  # replies stay threaded
    assert left[ids["first"]].author == personal_data.ANONYMOUS
    assert "[erased]" in left[ids["quote"]].body
    assert erase_line.action == personal_data.ERASE_ACTION
    assert erase_line.detail.startswith("erased the personal data of 5 entries")
    if how == "cli":  # anonymised, every one kept, its text too
        assert all(left[each].author == personal_data.ANONYMOUS for each in zoes)
        assert left[ids["reply"]].body == "Zoe answers."
    else:  # deleted, but for the one another answered: an empty placeholder
        assert not set(zoes) - {ids["first"]} & left.keys()
        assert left[ids["first"]].body == personal_data.DELETED_TEXT
        assert left[ids["first"]].status == Status.APPROVED


@pytest.mark.parametrize(
    ("email", "told", "exit_code"),
    [
        ("nobody@example.org", "Nothing is held for that address.\n", 0),
        # Empty, it would match every entry that has no address: linkbacks, replies.
        (" ", "Error: Give an email address.\n", 1),
    ],
)
def test_erasing_an_address_that_nothing_holds_says_so_and_logs_nothing(
    app, post, email, told, exit_code
):
    comment(app, "A word from someone.", email=OTHER)
    result = app.test_cli_runner().invoke(args=["privacy", "erase", email])
    assert (result.output, result.exit_code) == (told, exit_code)
    with app.app_context():
        session = db.get_session()
        assert session.scalar(select(AuditEvent.id)) is None
        assert session.scalar(select(Entry.author)) == "Other Reader"
