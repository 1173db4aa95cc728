"""Moderators' notices (issue 14), through a real SMTP server: an entry held for
moderation is mailed, as it arrives, to each enabled moderator who chose a mail for
every entry and gave an address; it names everything the queue shows of the entry, with
Approve, Spam and Trash buttons of that moderator's own."""

import re
from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from moderation.infra import db, jobs
from moderation.infra.models import Entry, Job, JobState, Mail, utcnow
from moderation.rules.statuses import EntryType, MailKind, MailNotices, MailState, Status
from moderation.services import accounts, mail, notices, posts, sites
from moderation.services.linkbacks import recording
from tests.conftest import MODERATOR_PASSWORD
from tests.helpers import (
    COMMENT,
    add_comment,
    reader,
    save_settings,
    seed_many,
    submit,
    time_passes,
)
from tests.mailserver import Received

SITE = "https://comments.example"
SENDER = "Blog comments <comments@blog.example>"
MOD = "mod@example.org"
ACTION_LINK = re.compile(re.escape(SITE) + r"/moderation/mail/action/[\w.-]+$")


@pytest.fixture
def app(make_app, mail_server):
    """The app sending through the test's SMTP server, at its public address."""
    return make_app(MAIL_URL=mail_server.url, SITE_URL=SITE, MAIL_FROM=SENDER)


def add_moderator(
    app,
    username: str = "mod",
    email: str = MOD,
    mail_notices: MailNotices = MailNotices.EVERY,
    disabled: bool = False,
) -> None:
    """An account made through the service, with its address and notices."""
    with app.app_context():
        session = db.get_session()
        accounts.create_moderator(
            session, username, MODERATOR_PASSWORD, email=email, notices=mail_notices
        )
        if disabled:
            accounts.set_disabled(session, username, True)
        session.commit()


def comment(app, number: int = 1, **fields) -> Entry:
    """A reader sends the post page's comment form; return the entry it made."""
    time_passes(app)
    response = submit(reader(app, number), **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        return db.get_session().scalars(select(Entry).order_by(Entry.id.desc())).first()


def delivered(app, mail_server) -> list[Received]:
    """Send what is queued, and return what the SMTP server took."""
    jobs.run_due_jobs(app)
    return mail_server.received


def links(received: Received) -> dict[str, str]:
    """The links of a mail's HTML part: text -> address."""
    soup = BeautifulSoup(received.html, "html.parser")
    return {anchor.get_text(strip=True): anchor["href"] for anchor in soup.find_all("a")}


def test_a_held_comment_is_mailed_to_the_moderator_who_wants_every_entry(app, mail_server, post):
    add_moderator(app)
    seed_many(app, post.id, 2)  # two entries waited already
    save_settings(app, moderation_words="kettle")
    entry = comment(app, comment="Is the kettle on?\nSecond line <b>not bold</b> & more.")

    [received] = delivered(app, mail_server)
    assert received.recipients == [MOD]
    message = received.message
    assert message["From"] == SENDER
    assert received.sender == parseaddr(SENDER)[1]
    assert message["To"] == MOD
    assert message["Subject"] == "[comments.example/A Post] Please moderate: “Ada Reader”"
    assert message["Message-ID"].endswith("@blog.example>")
    assert message["Date"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert "kettle" in entry.reason
    for part in (received.text, BeautifulSoup(received.html, "html.parser").get_text()):
        for shown in (
            "A Post",
            "Ada Reader",
            COMMENT["email"],
            "192.0.2.1",  # the reader's address (tests/helpers.py: reader)
            COMMENT["website"],
            "Is the kettle on?",
            "Second line <b>not bold</b> & more.",  # plain text, as typed
            "comment",
            entry.reason,
            "3 entries wait for moderation in all",
        ):
            assert shown in part, (shown, part)
    assert f"{SITE}/posts/a-post/" in received.text
    assert links(received)["A Post"] == f"{SITE}/posts/a-post/"
    with app.app_context():
        mail = db.get_session().scalar(select(Mail))
    assert (mail.kind, mail.entry_id) == (MailKind.NOTICE, entry.id)


def test_a_notice_has_approve_spam_trash_and_dashboard_buttons_in_both_parts(
    app, mail_server, post
):
    add_moderator(app)
    entry = comment(app)

    [received] = delivered(app, mail_server)
    found = links(received)
    for label in ("Approve", "Spam", "Trash"):
        assert ACTION_LINK.match(found[label]), found
        assert f"{label}: {found[label]}" in received.text
    assert len({found["Approve"], found["Spam"], found["Trash"]}) == 3
    dashboard = found["Open in the dashboard"]
    assert dashboard == f"{SITE}/moderation/?status=pending#entry-{entry.id}"
    assert f"Open in the dashboard: {dashboard}" in received.text
    assert found["Change that on your account page"] == f"{SITE}/moderation/account"


def test_each_moderator_gets_a_notice_of_their_own_with_their_own_links(app, mail_server, post):
    add_moderator(app, "ann", "ann@example.org")
    add_moderator(app, "bob", "bob@example.org")
    comment(app)

    received = delivered(app, mail_server)
    assert sorted(each.recipients[0] for each in received) == ["ann@example.org", "bob@example.org"]
    ann, bob = mail_server.to("ann@example.org")[0], mail_server.to("bob@example.org")[0]
    assert "ann@example.org" not in bob.message.as_string()
    assert links(ann)["Approve"] != links(bob)["Approve"]
    assert "the account ann asked for a mail for every entry that waits" in ann.text


def test_moderators_who_want_a_digest_or_nothing_or_have_no_address_get_no_notice(
    app, mail_server, post
):
    add_moderator(app, "every", "every@example.org")
    add_moderator(app, "digest", "digest@example.org", MailNotices.DIGEST)
    add_moderator(app, "nothing", "nothing@example.org", MailNotices.NONE)
    add_moderator(app, "nowhere", "")
    add_moderator(app, "disabled", "disabled@example.org", disabled=True)
    comment(app)

    assert [each.recipients for each in delivered(app, mail_server)] == [["every@example.org"]]


def test_spam_gets_no_notice(app, mail_server, post):
    add_moderator(app)
    save_settings(app, disallowed_words="casino")
    entry = comment(app, comment="Best casino in town")

    assert entry.status == Status.SPAM
    assert delivered(app, mail_server) == []


def test_an_approved_comment_gets_no_notice(app, mail_server, post):
    add_moderator(app)
    save_settings(app, hold_all=False)
    entry = comment(app)

    assert entry.status == Status.APPROVED
    assert delivered(app, mail_server) == []


def test_a_held_linkback_notice_names_its_type_and_source(app, mail_server, post):
    add_moderator(app)
    source = "https://elsewhere.example/a-post-about-it"
    with app.app_context():
        session = db.get_session()
        recording.record_linkback(
            session,
            posts.get_post(session, post.slug),
            EntryType.PINGBACK,
            source,
            "Some Other Blog",
            "[…] it links here […]",
            "198.51.100.4",
        )
        session.commit()

    [received] = delivered(app, mail_server)
    assert received.message["Subject"] == (
        "[comments.example/A Post] Please moderate: “Some Other Blog”"
    )
    assert f"pingback from {source}" in received.text
    assert "A new pingback on “A Post” waits for moderation." in received.text
    assert "198.51.100.4" in received.text


def test_a_post_of_a_registered_site_is_named_by_its_site_in_the_subject(app, mail_server):
    add_moderator(app)
    with app.app_context():
        session = db.get_session()
        sites.add_site(session, "https://blog.example", "The Blog")
        posts.create_post(session, "hello", "Hello", url="https://blog.example/2026/hello/")
        session.commit()
    add_comment(app, "A comment on a page of the blog.", slug="hello")

    [received] = delivered(app, mail_server)
    assert received.message["Subject"] == "[The Blog/Hello] Please moderate: “Ada Reader”"
    assert links(received)["Hello"] == "https://blog.example/2026/hello/"


def test_without_site_url_the_notice_goes_out_without_buttons_and_says_why(make_app, mail_server):
    app = make_app(MAIL_URL=mail_server.url)
    add_moderator(app)
    with app.app_context():
        session = db.get_session()
        posts.create_post(session, "a-post", "A Post")
        session.commit()
    comment(app)

    [received] = delivered(app, mail_server)
    assert "SITE_URL is not set, so this mail has no links" in received.text
    assert "SITE_URL is not set, so this mail has no links" in received.html
    assert "/moderation/mail/action/" not in received.message.as_string()
    assert links(received) == {}
    assert "Ada Reader" in received.text


def test_the_notice_costs_one_query_when_nobody_wants_it(app, post, count_queries):
    add_moderator(app, mail_notices=MailNotices.NONE)
    entry_id = seed_many(app, post.id, 1)[0]
    with app.app_context(), count_queries() as counted:
        notices.arrived(db.get_session(), entry_id, Status.PENDING)
    assert len(counted) == 1


def test_the_notice_reads_the_entry_once_whoever_it_goes_to(app, post, count_queries):
    for number in range(3):
        add_moderator(app, f"mod{number}", f"mod{number}@example.org")
    entry_id = seed_many(app, post.id, 1)[0]
    with app.app_context():
        session = db.get_session()
        with count_queries() as counted:
            notices.arrived(session, entry_id, Status.PENDING)
        assert len(session.scalars(select(Mail)).all()) == 3
    reads = [statement for statement in counted if statement.lstrip().startswith("SELECT")]
    assert len(reads) == 2  # the recipients; the entry, its post and the count waiting


def test_the_notice_links_to_the_pending_tab_where_the_new_entry_is_listed(
    app, mail_server, moderator, post
):
    add_moderator(app, "notified")
    seed_many(app, post.id, 60)  # older entries fill more than one page
    entry = comment(app)

    [received] = delivered(app, mail_server)
    dashboard = urlsplit(links(received)["Open in the dashboard"])
    page = moderator.get(f"{dashboard.path}?{dashboard.query}")
    assert f'id="{dashboard.fragment}"' in page.get_data(as_text=True)
    assert dashboard.fragment == f"entry-{entry.id}"


def test_with_the_smtp_server_down_a_comment_is_taken_and_its_notice_goes_once_it_is_back(
    app, mail_server, post
):
    add_moderator(app)
    mail_server.stop()
    held = comment(app)  # the form answers 303 at once: it never waits for the server
    assert held.status == Status.PENDING
    assert delivered(app, mail_server) == []
    with app.app_context():
        session = db.get_session()
        [waiting] = session.scalars(select(Mail)).all()
        assert waiting.state == MailState.QUEUED
        job = session.get(Job, mail.job_of(session, waiting))
        assert (job.state, job.attempts) == (JobState.QUEUED, 1)
        job.run_after = utcnow()  # its backoff has passed
        session.commit()
    mail_server.start()
    [notice] = delivered(app, mail_server)
    assert notice.recipients == [MOD]
    assert held.author in notice.text
