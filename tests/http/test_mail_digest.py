"""The moderators' daily digest (issue 14), through a real SMTP server: a job at
MAIL_DIGEST_HOUR (UTC) mails each enabled moderator who chose it the counts per status
and the oldest waiting entries with their buttons, when something waits; each day's
goes out once, however often its job runs, and each run schedules the next day's.
`flask mail digest` sends today's now, for cron, unless it went out already."""

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from moderation.infra import db, jobs
from moderation.infra.models import Digest, Job, JobState, Mail, Moderator, utcnow
from moderation.rules.statuses import MailKind, MailNotices, Status
from moderation.services import notices
from tests.helpers import TEST_ACTOR, add_comment, seed_many
from tests.http.test_mail_actions import audit, press, status_of
from tests.http.test_mail_notices import SITE, add_moderator, links

HOUR = 5  # MAIL_DIGEST_HOUR
DIGESTER = "digest@example.org"


@pytest.fixture
def app(make_app, mail_server):
    return make_app(MAIL_URL=mail_server.url, SITE_URL=SITE, MAIL_DIGEST_HOUR=HOUR)


@pytest.fixture
def digester(app):
    """A moderator who chose the digest, as the account page saves it: the chain of
    digest jobs starts."""
    add_moderator(app, "digester", DIGESTER, MailNotices.NONE)
    with app.app_context():
        session = db.get_session()
        moderator = session.scalar(select(Moderator).where(Moderator.username == "digester"))
        notices.choose(session, TEST_ACTOR, moderator, DIGESTER, MailNotices.DIGEST)
        session.commit()


def at_hour(day: date) -> datetime:
    return datetime.combine(day, time(HOUR), tzinfo=UTC)


def next_digest_day(now: datetime) -> date:
    """The first day whose digest hour is still to come."""
    today = now.date()
    return today if now < at_hour(today) else today + timedelta(days=1)


def digest_jobs(app) -> list[tuple[date, datetime, JobState]]:
    """Each digest job: its day, when it is due, where it stands; by id."""
    with app.app_context():
        found = db.get_session().scalars(
            select(Job).where(Job.kind == notices.DIGEST).order_by(Job.id)
        )
        return [(date.fromordinal(job.subject_id), job.run_after, job.state) for job in found]


def submit_digest_job(app, day: date) -> None:
    """A digest job of `day`, due now."""
    with app.app_context():
        session = db.get_session()
        jobs.submit(session, notices.DIGEST, day.toordinal(), run_after=utcnow())
        session.commit()


def run_queued_digest_jobs(app) -> None:
    """The hour comes: the queued digest jobs run, then the mails they wrote are sent."""
    with app.app_context():
        session = db.get_session()
        for job in session.scalars(
            select(Job).where(Job.kind == notices.DIGEST, Job.state == JobState.QUEUED)
        ):
            job.run_after = utcnow() - timedelta(seconds=1)
        session.commit()
    jobs.run_due_jobs(app)  # the digest
    jobs.run_due_jobs(app)  # the mails it wrote


def digest_days(app) -> list[str]:
    with app.app_context():
        return db.get_session().scalars(select(Digest.day).order_by(Digest.day)).all()


def test_choosing_the_digest_schedules_one_job_at_the_digest_hour(app, digester):
    day = next_digest_day(utcnow())
    assert digest_jobs(app) == [(day, at_hour(day), JobState.QUEUED)]
    with app.app_context():  # chosen again: still one chain
        session = db.get_session()
        notices.seed_digests(session)
        session.commit()
    assert len(digest_jobs(app)) == 1


def test_the_digest_mails_the_counts_and_the_oldest_waiting_entries_with_their_buttons(
    app, mail_server, post, digester
):
    seed_many(app, post.id, 12)  # Seeded Reader 0 is the newest, 11 the oldest
    add_comment(app, "Approved words.", Status.APPROVED)
    add_comment(app, "Spam words.", Status.SPAM)
    run_queued_digest_jobs(app)

    [received] = mail_server.received
    assert received.recipients == [DIGESTER]
    assert received.message["Subject"] == (
        "[comments.example] Daily digest: 12 entries wait for moderation"
    )
    assert received.message["Auto-Submitted"] == "auto-generated"
    assert received.message.get_content_type() == "multipart/alternative"
    text = received.text.replace("\r\n", "\n")
    assert "Pending: 12   Approved: 1   Spam: 1   Trash: 0" in text
    assert "The oldest 10, oldest first:" in text
    shown = [f"Seeded Reader {number}" for number in range(11, 1, -1)]
    places = [text.index(f"Author:   {author}\n") for author in shown]
    assert places == sorted(places)  # the oldest first
    assert "Seeded Reader 1\n" not in text
    assert "reader11@example.net" in text
    assert "192.0.2.200" in text
    assert text.count("Approve: https://comments.example/moderation/mail/action/") == 10
    assert "the account digester asked for a daily digest" in text
    anchors = BeautifulSoup(received.html, "html.parser").find_all("a")
    approve = [anchor["href"] for anchor in anchors if anchor.get_text() == "Approve"]
    assert len(set(approve)) == 10
    with app.app_context():
        mail = db.get_session().scalar(select(Mail))
    assert (mail.kind, mail.entry_id) == (MailKind.DIGEST, None)


def test_a_digest_button_moves_its_entry_as_the_moderator_from_email(
    app, mail_server, post, digester
):
    [entry_id] = seed_many(app, post.id, 1)
    run_queued_digest_jobs(app)

    [received] = mail_server.received
    press(app.test_client(), urlsplit(links(received)["Approve"]).path)
    assert status_of(app, entry_id) == Status.APPROVED
    assert audit(app)[-1][:4] == (
        "digester",
        "approve",
        str(entry_id),
        "1 of 1 changed, from email",
    )


def test_the_oldest_entrys_dashboard_link_opens_the_queue_page_that_lists_it(
    app, mail_server, post, digester, moderator
):
    oldest = seed_many(app, post.id, 60)[-1]
    run_queued_digest_jobs(app)

    [received] = mail_server.received
    first = received.text.index("Open in the dashboard: ")
    link = urlsplit(received.text[first:].split(": ", 1)[1].split()[0])
    assert link.query == "status=pending&page=2"
    assert link.fragment == f"entry-{oldest}"
    page = moderator.get(f"{link.path}?{link.query}").get_data(as_text=True)
    assert f'id="entry-{oldest}"' in page


def test_the_digest_goes_only_to_enabled_moderators_who_chose_it(app, mail_server, post, digester):
    add_moderator(app, "every", "every@example.org")
    add_moderator(app, "nothing", "nothing@example.org", MailNotices.NONE)
    add_moderator(app, "off", "off@example.org", MailNotices.DIGEST, disabled=True)
    add_moderator(app, "nowhere", "", MailNotices.DIGEST)
    seed_many(app, post.id, 1)
    run_queued_digest_jobs(app)

    assert [each.recipients for each in mail_server.received] == [[DIGESTER]]


def test_the_digest_of_a_day_is_sent_once_even_if_its_job_runs_twice(
    app, mail_server, post, digester, runner
):
    seed_many(app, post.id, 2)
    today = utcnow().date()
    submit_digest_job(app, today)
    submit_digest_job(app, today)
    jobs.run_due_jobs(app)
    jobs.run_due_jobs(app)

    assert [each.recipients for each in mail_server.received] == [[DIGESTER]]
    assert digest_days(app) == [today.isoformat()]
    result = runner.invoke(args=["mail", "digest"])
    assert result.output == f"The digest of {today} was sent already.\n"
    assert len(mail_server.received) == 1
    tomorrow = today + timedelta(days=1)
    queued = [job for job in digest_jobs(app) if job[2] == JobState.QUEUED]
    assert queued == [(tomorrow, at_hour(tomorrow), JobState.QUEUED)]  # one chain still


def test_no_digest_is_sent_when_nothing_waits(app, mail_server, post, digester):
    add_comment(app, "Approved words.", Status.APPROVED)
    [(day, _, _)] = digest_jobs(app)
    run_queued_digest_jobs(app)

    assert mail_server.received == []
    assert digest_days(app) == [day.isoformat()]


def test_each_digest_schedules_the_next_days_at_the_digest_hour(app, post, digester):
    [(day, _, _)] = digest_jobs(app)
    run_queued_digest_jobs(app)

    following = day + timedelta(days=1)
    assert digest_jobs(app)[1:] == [(following, at_hour(following), JobState.QUEUED)]
    assert digest_jobs(app)[0][2] == JobState.DONE


def test_a_late_digest_job_schedules_the_next_one_still_to_come_not_the_missed_ones(
    app, mail_server, post
):
    add_moderator(app, "digester", DIGESTER, MailNotices.DIGEST)
    seed_many(app, post.id, 1)
    submit_digest_job(app, utcnow().date() - timedelta(days=3))  # the service was down
    run_queued_digest_jobs(app)

    assert len(mail_server.received) == 1
    day = next_digest_day(utcnow())
    assert digest_jobs(app)[1:] == [(day, at_hour(day), JobState.QUEUED)]


def test_a_failed_digest_job_still_schedules_the_next_day(app, post, digester, monkeypatch):
    def broken(session, day):
        raise RuntimeError("the digest could not be written")

    monkeypatch.setattr(notices, "send_digest", broken)
    [(day, _, _)] = digest_jobs(app)
    run_queued_digest_jobs(app)

    following = day + timedelta(days=1)
    assert digest_jobs(app)[0][2] == JobState.FAILED
    assert digest_jobs(app)[1:] == [(following, at_hour(following), JobState.QUEUED)]
    assert digest_days(app) == []


def test_flask_mail_digest_sends_todays_digest_now_and_only_once(
    app, mail_server, post, digester, runner
):
    seed_many(app, post.id, 3)
    today = utcnow().date()

    result = runner.invoke(args=["mail", "digest"])
    assert result.exit_code == 0, result.output
    assert result.output == f"The digest of {today}: 1 of 1 mails sent.\n"
    [received] = mail_server.received
    assert "Daily digest: 3 entries wait" in received.message["Subject"]
    again = runner.invoke(args=["mail", "digest"])
    assert again.output == f"The digest of {today} was sent already.\n"
    assert len(mail_server.received) == 1


def test_flask_mail_digest_says_when_there_is_nothing_to_send(app, mail_server, runner):
    add_moderator(app, "digester", DIGESTER, MailNotices.DIGEST)

    result = runner.invoke(args=["mail", "digest"])
    assert result.exit_code == 0
    assert "Nothing to send" in result.output
    assert mail_server.received == []
