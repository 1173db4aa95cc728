"""Retention (issue 15): the maintenance run, on a frozen clock (the `now` it is given).
IP addresses and user agents go past IP_RETENTION_DAYS, spam and trash past
PURGE_AFTER_DAYS, and what no entry uses any more with them; pending entries never; a
second run changes nothing; each run writes an audit line. The run is a daily job at
MAINTENANCE_HOUR that schedules the next day's, started by whatever works the queue;
`flask maintenance` runs it at once and prints what it did."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from moderation.infra import db, jobs
from moderation.infra.models import (
    AuditEvent,
    DataRequest,
    Entry,
    Job,
    JobState,
    Mail,
    Mention,
    Photo,
    UsedMailAction,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from moderation.rules.retention import reduce_address
from moderation.rules.statuses import (
    DeliveryState,
    EntryType,
    MailKind,
    MailState,
    MentionState,
    Status,
)
from moderation.services import maintenance, moderating
from tests.helpers import TEST_ACTOR, add_comment

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
ADDRESSES = ("203.0.113.77", "2001:db8:1234:5678::1", "::ffff:198.51.100.9", "192.0.2.0")
HOUR = 3  # MAINTENANCE_HOUR


def run_at(app, now: datetime, ip_days: int = 30, purge_days: int = 30) -> maintenance.Report:
    """A maintenance run as the clock shows `now`, committed."""
    with app.app_context():
        session = db.get_session()
        kept = maintenance.Retention(ip_days, purge_days, mail_action_seconds=7 * 86_400)
        report = maintenance.run(session, kept, now)
        session.commit()
        return report


def comment_from(app, number: int, ip: str, status: Status = Status.PENDING, **fields) -> int:
    """A comment from its own reader (the flood rule counts per address and per email)."""
    fields = {"user_agent": USER_AGENT, "email": f"reader{number}@example.net", **fields}
    return add_comment(app, f"Comment {number}.", status, ip_address=ip, **fields)


def rows(app, model, *columns) -> list[tuple]:
    """The columns of every row of the model's table, by its key."""
    order = model.key if model is Photo else model.id
    with app.app_context():
        return [tuple(row) for row in db.get_session().execute(select(*columns).order_by(order))]


def age(app, days: int) -> None:
    """Move every entry `days` into the past: written, and last moved, then."""
    with app.app_context():
        session = db.get_session()
        for entry in session.scalars(select(Entry)):
            entry.created -= timedelta(days=days)
            entry.updated -= timedelta(days=days)
        session.commit()


def nothing_done(report: maintenance.Report) -> bool:
    return all(count == 0 for _label, count in report.counts())


@pytest.mark.parametrize(
    ("ip_days", "age_days", "shortened"),
    [
        pytest.param(30, 29, False, id="29-days-kept"),
        pytest.param(30, 31, True, id="31-days-shortened"),
        pytest.param(0, 3650, False, id="0-keeps-them"),
    ],
)
def test_addresses_and_user_agents_are_shortened_past_the_retention_age(
    app, post, ip_days, age_days, shortened
):
    start = utcnow()
    ids = [comment_from(app, n, ip, Status.APPROVED) for n, ip in enumerate(ADDRESSES)]
    with app.app_context():
        session = db.get_session()
        # A trackback as the receiver records it, by then verified into its entry.
        session.add(
            Mention(
                token="t" * 32,
                type=EntryType.TRACKBACK,
                state=MentionState.VERIFIED,
                source="https://blog.example/post",
                target="http://localhost/posts/a-post/",
                post_id=post.id,
                entry_id=ids[0],
                ip_address="203.0.113.5",
                user_agent="Blog/1.0",
            )
        )
        session.commit()
    before = rows(app, Entry, Entry.ip_address, Entry.user_agent, Entry.status, Entry.updated)

    report = run_at(app, start + timedelta(days=age_days), ip_days=ip_days)

    def left(ip: str) -> str:
        return reduce_address(ip) if shortened else ip

    expected = [(left(ip), "" if shortened else USER_AGENT, Status.APPROVED) for ip in ADDRESSES]
    after = rows(app, Entry, Entry.ip_address, Entry.user_agent, Entry.status, Entry.updated)
    assert [row[:3] for row in after] == expected
    # Shortening is no change of status: the purge's age and the dashboard read `updated`.
    assert [row[3] for row in after] == [row[3] for row in before]
    assert rows(app, Mention, Mention.ip_address, Mention.user_agent) == [
        (left("203.0.113.5"), "" if shortened else "Blog/1.0")
    ]
    # The moderator who approved them: the audit log keeps their address, shortened too.
    assert {ip for (ip,) in rows(app, AuditEvent, AuditEvent.ip_address)} == {
        left(TEST_ACTOR.ip_address),
        "",  # the run's own line
    }
    changed = sum(
        left(ip) != ip for ip in (*ADDRESSES, "203.0.113.5", *[TEST_ACTOR.ip_address] * 4)
    )
    assert (report.addresses_reduced, report.user_agents_cleared) == (
        changed,
        5 if shortened else 0,
    )
    assert nothing_done(run_at(app, start + timedelta(days=age_days), ip_days=ip_days))


def add_photo(app, entry_id: int, key: str) -> None:
    """A webmention author's photo, as photos.store keeps it, held by the entry."""
    with app.app_context():
        session = db.get_session()
        session.add(Photo(key=key, media_type="image/png", data=b"\x89PNG\r\n\x1a\n"))
        session.execute(update(Entry).where(Entry.id == entry_id).values(author_photo=key))
        session.commit()


@pytest.mark.parametrize(
    ("purge_days", "age_days", "purged"),
    [
        pytest.param(30, 29, False, id="29-days-kept"),
        pytest.param(30, 31, True, id="31-days-deleted"),
        pytest.param(30, 3650, True, id="ten-years-deleted"),
        pytest.param(0, 3650, False, id="0-keeps-them"),
    ],
)
def test_spam_and_trash_are_deleted_past_the_purge_age_and_pending_never(
    app, post, purge_days, age_days, purged
):
    approved = comment_from(app, 1, "192.0.2.1", Status.APPROVED)
    pending = comment_from(app, 2, "192.0.2.2")
    spam = comment_from(app, 3, "192.0.2.3", Status.SPAM)
    trashed = comment_from(app, 4, "192.0.2.4", Status.APPROVED)
    reply = comment_from(app, 5, "192.0.2.5", Status.APPROVED, parent_id=trashed)
    with app.app_context():
        session = db.get_session()
        moderating.moderate(session, TEST_ACTOR, [trashed], moderating.Action.TRASH)
        session.commit()
    add_photo(app, pending, "a" * 64)
    add_photo(app, spam, "b" * 64)
    start = utcnow()

    report = run_at(app, start + timedelta(days=age_days), purge_days=purge_days)

    left = rows(app, Entry, Entry.id, Entry.parent_id)
    if purged:
        # The reply stays, as a reply to nothing, as after emptying the trash by hand.
        assert left == [(approved, None), (pending, None), (reply, None)]
        assert rows(app, Photo, Photo.key) == [("a" * 64,)]
        assert (report.spam_deleted, report.trash_deleted, report.photos_deleted) == (1, 1, 1)
    else:
        assert [entry_id for entry_id, _parent in left] == [approved, pending, spam, trashed, reply]
        assert len(rows(app, Photo, Photo.key)) == 2
    [line] = rows(
        app,
        AuditEvent,
        AuditEvent.username,
        AuditEvent.entry_ids,
        AuditEvent.detail,
    )[-1:]
    assert line[:2] == ("maintenance", f"{spam},{trashed}" if purged else "")
    assert ("spam deleted: 1; trash deleted: 1" in line[2]) == purged
    assert nothing_done(run_at(app, start + timedelta(days=age_days), purge_days=purge_days))


def test_finished_records_go_past_their_age_and_live_ones_stay(app, post):
    """Sent mails, finished jobs, deliveries and linkback requests without an entry go
    after PURGE_AFTER_DAYS; expired mail links and data requests after their lifetime;
    what is still to do stays."""
    entry_id = comment_from(app, 1, "192.0.2.1")
    with app.app_context():
        session = db.get_session()
        webhook = Webhook(url="https://hooks.example/in", secret="whsec_c2VjcmV0")
        session.add(webhook)
        session.flush()
        for state in (MailState.SENT, MailState.FAILED, MailState.QUEUED):
            session.add(
                Mail(
                    recipient="reader@example.net",
                    kind=MailKind.CONFIRM,
                    subject=state.value,
                    message=b"",
                    state=state,
                )
            )
        for state in (JobState.DONE, JobState.FAILED, JobState.QUEUED):
            session.add(Job(kind="mail.send", subject_id=1, state=state, attempts=0, error=""))
        for number, state in enumerate((DeliveryState.DELIVERED, DeliveryState.QUEUED)):
            session.add(
                WebhookDelivery(
                    webhook_id=webhook.id,
                    message_id=f"msg_{number}",
                    event="entry.created",
                    entry_id=entry_id,
                    payload="{}",
                    state=state,
                    attempts=0,
                    error="",
                )
            )
        for number, (state, entry) in enumerate(
            [
                (MentionState.REJECTED, None),  # never an entry
                (MentionState.VERIFIED, None),  # its entry was deleted
                (MentionState.QUEUED, None),  # still to verify
                (MentionState.VERIFIED, entry_id),  # its entry lives
            ]
        ):
            session.add(
                Mention(
                    token=f"{number}" * 32,
                    type=EntryType.WEBMENTION,
                    state=state,
                    source=f"https://blog.example/{number}",
                    target="http://localhost/posts/a-post/",
                    post_id=post.id,
                    entry_id=entry,
                )
            )
        session.add(UsedMailAction(digest="d" * 64))
        session.add(DataRequest(key_digest="k" * 64, email="reader@example.net"))
        session.commit()

    report = run_at(app, utcnow() + timedelta(days=31))

    assert rows(app, Mail, Mail.state) == [(MailState.QUEUED,)]
    assert rows(app, Job, Job.state) == [(JobState.QUEUED,)]
    assert rows(app, WebhookDelivery, WebhookDelivery.state) == [(DeliveryState.QUEUED,)]
    assert rows(app, Mention, Mention.state, Mention.entry_id) == [
        (MentionState.QUEUED, None),
        (MentionState.VERIFIED, entry_id),
    ]
    with app.app_context():
        session = db.get_session()
        assert session.scalars(select(UsedMailAction)).all() == []
        assert session.scalars(select(DataRequest)).all() == []
    assert (report.mails_deleted, report.jobs_deleted, report.deliveries_deleted) == (2, 2, 1)
    assert (report.mentions_deleted, report.mail_actions_deleted) == (2, 1)
    assert report.data_requests_deleted == 1


def test_flask_maintenance_runs_at_once_and_prints_what_it_did(app, post, runner):
    comment_from(app, 1, "203.0.113.77", Status.SPAM)
    comment_from(app, 2, "203.0.113.78")
    age(app, 40)

    result = runner.invoke(args=["maintenance"])

    assert result.exit_code == 0, result.output
    assert "  spam deleted: 1\n" in result.output
    assert "  IP addresses shortened: 1\n" in result.output  # the pending one's
    assert rows(app, Entry, Entry.ip_address, Entry.status) == [("203.0.113.0", Status.PENDING)]
    assert rows(app, AuditEvent, AuditEvent.username, AuditEvent.action)[-1] == (
        "maintenance",
        "maintenance",
    )


def maintenance_jobs(app) -> list[tuple[date, datetime, JobState]]:
    """Each maintenance job: its day, when it is due, where it stands; by id."""
    found = rows(app, Job, Job.kind, Job.subject_id, Job.run_after, Job.state)
    return [
        (date.fromordinal(subject), run_after, state)
        for kind, subject, run_after, state in found
        if kind == maintenance.RUN
    ]


def next_run(now: datetime) -> datetime:
    today = datetime.combine(now.date(), time(HOUR), tzinfo=UTC)
    return today if now < today else today + timedelta(days=1)


def test_the_daily_job_runs_from_the_queue_and_schedules_the_next_day(make_app):
    app = make_app(MAINTENANCE_HOUR=HOUR)
    with app.app_context():
        for _ in range(2):  # a second start adds nothing
            session = db.get_session()
            maintenance.seed(session)
            session.commit()
    first = next_run(utcnow())
    assert maintenance_jobs(app) == [(first.date(), first, JobState.QUEUED)]
    with app.app_context():
        session = db.get_session()
        session.execute(update(Job).values(run_after=utcnow() - timedelta(seconds=1)))
        session.commit()

    jobs.run_due_jobs(app)

    after = first + timedelta(days=1)
    assert [(day, state) for day, _due, state in maintenance_jobs(app)] == [
        (first.date(), JobState.DONE),
        (after.date(), JobState.QUEUED),
    ]
    assert maintenance_jobs(app)[1][1] == after
    assert rows(app, AuditEvent, AuditEvent.username, AuditEvent.detail) == [
        ("maintenance", "nothing to do")
    ]


@pytest.mark.parametrize(
    ("config", "start", "chains"),
    [
        pytest.param({"JOB_WORKERS": 0}, "request", 0, id="web-process-without-workers"),
        pytest.param({"JOB_WORKERS": 1}, "request", 1, id="web-process-with-its-pool"),
        pytest.param({"JOB_WORKERS": 0}, "worker", 1, id="flask-worker"),
    ],
)
def test_whatever_works_the_queue_starts_the_daily_chain_once(make_app, config, start, chains):
    app = make_app(**config)
    for _ in range(2):
        if start == "request":
            assert app.test_client().get("/privacy").status_code == 200
        else:
            assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    assert len(maintenance_jobs(app)) == chains
