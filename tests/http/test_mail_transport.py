"""Sending mail (issue 14): MAIL_URL's SMTP server (STARTTLS, TLS, a password never in
the clear), or the outbox without it; every message through the durable job queue, so
an SMTP server that is down loses nothing."""

import ssl
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from moderation.infra import db, jobs
from moderation.infra import mail as transport
from moderation.infra.models import Job, JobState, Mail
from moderation.rules.statuses import MailKind, MailState
from moderation.services import mail
from tests.certificates import self_signed
from tests.conftest import create_moderator, log_in
from tests.mailserver import MailServer, _Handler

USER, PASSWORD = "relay-user", "relay password/with:odd@chars"


def _queue_test_mail(app, recipient: str = "reader@example.org") -> int:
    with app.app_context():
        session = db.get_session()
        queued = mail.queue_mail(
            session, recipient, MailKind.TEST, "test", "A test", {"sent_at": "now"}
        )
        session.commit()
        return queued.id


def _mail(app, mail_id: int) -> Mail:
    with app.app_context():
        return db.get_session().get(Mail, mail_id)


def _job_of(app, mail_id: int) -> Job:
    with app.app_context():
        return db.get_session().scalar(
            select(Job).where(Job.kind == mail.SEND, Job.subject_id == mail_id)
        )


def _make_due(app, job_id: int) -> None:
    with app.app_context():
        session = db.get_session()
        session.get(Job, job_id).run_after -= timedelta(days=2)
        session.commit()


def test_a_message_reaches_the_smtp_server_with_its_headers_and_both_parts(make_app, mail_server):
    app = make_app(MAIL_URL=mail_server.url, MAIL_FROM="Blog comments <comments@blog.example>")
    mail_id = _queue_test_mail(app)
    assert mail_server.received == []  # nothing is sent inside the caller's transaction
    assert jobs.run_due_jobs(app) == 1
    [received] = mail_server.received
    assert received.sender == "comments@blog.example"
    assert received.recipients == ["reader@example.org"]
    message = received.message
    assert message["From"] == "Blog comments <comments@blog.example>"
    assert message["To"] == "reader@example.org"
    assert message["Subject"] == "A test"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@blog.example>")
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    assert "This is a test message" in received.text
    assert "<h1" in received.html
    sent = _mail(app, mail_id)
    assert (sent.state, sent.error) == (MailState.SENT, "")
    assert sent.sent is not None


def test_without_mail_url_each_message_is_an_eml_file_in_the_outbox(make_app):
    app = make_app()
    _queue_test_mail(app)
    jobs.run_due_jobs(app)
    with app.app_context():
        [written] = sorted(mail.outbox().glob("*.eml"))
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["To"] == "reader@example.org"
    assert message["Subject"] == "A test"


def test_the_outbox_keeps_the_newest_200_messages(tmp_path):
    outbox = tmp_path / "outbox"
    for number in range(transport.OUTBOX_KEEP + 5):
        transport.write_to_outbox(outbox, f"Subject: {number}\r\n\r\n".encode())
    kept = sorted(outbox.glob("*.eml"))
    assert len(kept) == transport.OUTBOX_KEEP
    assert kept[0].read_bytes().startswith(b"Subject: 5\r\n")
    assert kept[-1].read_bytes().startswith(b"Subject: 204\r\n")


def test_with_the_smtp_server_down_the_mail_waits_and_goes_once_it_is_back(make_app, mail_server):
    app = make_app(MAIL_URL=mail_server.url, JOB_RETRY_SECONDS=60)
    mail_server.stop()
    mail_id = _queue_test_mail(app)
    assert jobs.run_due_jobs(app) == 1
    waiting = _job_of(app, mail_id)
    assert (waiting.state, waiting.attempts) == (JobState.QUEUED, 1)
    assert waiting.error == "the SMTP server could not be reached (ConnectionRefusedError)"
    assert _mail(app, mail_id).state == MailState.QUEUED
    assert jobs.run_due_jobs(app) == 0  # it waits for its backoff
    mail_server.start()
    _make_due(app, waiting.id)
    assert jobs.run_due_jobs(app) == 1
    assert [each.recipients for each in mail_server.received] == [["reader@example.org"]]
    assert _mail(app, mail_id).state == MailState.SENT


def test_a_mail_job_outlasts_the_job_queues_usual_attempts(make_app, mail_server):
    app = make_app(MAIL_URL=mail_server.url, JOB_MAX_ATTEMPTS=2)
    mail_server.stop()
    mail_id = _queue_test_mail(app)
    for _ in range(3):
        job_id = _job_of(app, mail_id).id
        _make_due(app, job_id)
        jobs.run_due_jobs(app)
    still = _job_of(app, mail_id)
    assert (still.state, still.attempts) == (JobState.QUEUED, 3)
    assert mail.SEND_ATTEMPTS > 3


class _Refusing(_Handler):
    def __init__(self, code: int) -> None:
        super().__init__()
        self.code = code

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 (aiosmtpd's name)
        return f"{self.code} No such user here"


@pytest.mark.parametrize(
    ("code", "state", "error"),
    [
        (550, MailState.FAILED, "the SMTP server refused the recipient (550)"),
        (450, MailState.QUEUED, ""),
    ],
    ids=["refused-for-good", "deferred"],
)
def test_a_refused_recipient_fails_at_once_and_a_deferred_one_is_tried_again(
    make_app, code, state, error
):
    server = MailServer(_Refusing(code))
    server.start()
    try:
        app = make_app(MAIL_URL=server.url)
        mail_id = _queue_test_mail(app)
        jobs.run_due_jobs(app)
    finally:
        server.stop()
    refused = _mail(app, mail_id)
    assert (refused.state, refused.error) == (state, error)
    # The server's own words name the address: they are in no error of ours.
    assert "reader@example.org" not in _job_of(app, mail_id).error


def test_a_password_is_never_sent_to_a_server_that_offers_no_starttls(make_app, mail_server):
    app = make_app(MAIL_URL=f"smtp://{USER}:secret@127.0.0.1:{mail_server.port}")
    mail_id = _queue_test_mail(app)
    jobs.run_due_jobs(app)
    refused = _mail(app, mail_id)
    assert refused.state == MailState.FAILED
    assert "offers no STARTTLS" in refused.error
    assert mail_server.received == []


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(
        success=(auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
    )


@pytest.fixture
def trusted_certificate(tmp_path, monkeypatch) -> ssl.SSLContext:
    """A server certificate for 127.0.0.1 that the transport trusts (SSL_CERT_FILE)."""
    cert, key = self_signed(tmp_path, "localhost")
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_a_relay_that_needs_a_password_gets_it_over_tls_only(make_app, trusted_certificate, scheme):
    tls = {"tls_context": trusted_certificate, "require_starttls": True, "auth_require_tls": True}
    if scheme == "smtps":
        # TLS from the first byte: aiosmtpd only knows of STARTTLS when it requires TLS.
        tls = {"tls_context": None, "ssl_context": trusted_certificate, "auth_require_tls": False}
    server = MailServer(authenticator=_authenticator, server_hostname="localhost", **tls)
    server.start()
    try:
        quoted = PASSWORD.replace("/", "%2F").replace(":", "%3A").replace("@", "%40")
        app = make_app(MAIL_URL=f"{scheme}://{USER}:{quoted}@localhost:{server.port}")
        mail_id = _queue_test_mail(app)
        jobs.run_due_jobs(app)
    finally:
        server.stop()
    assert _mail(app, mail_id).state == MailState.SENT
    [received] = server.received
    assert received.recipients == ["reader@example.org"]


def test_flask_mail_test_sends_at_once_and_says_so(make_app, mail_server):
    app = make_app(MAIL_URL=mail_server.url)
    result = app.test_cli_runner().invoke(args=["mail", "test", "admin@example.org"])
    assert result.exit_code == 0, result.output
    assert result.output == "Sent to admin@example.org.\n"
    [received] = mail_server.received
    assert received.message["Subject"] == "Test message from the comment moderation service"


def test_flask_mail_test_without_mail_url_names_the_outbox(make_app):
    app = make_app()
    result = app.test_cli_runner().invoke(args=["mail", "test", "admin@example.org"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert f"written to {mail.outbox()}/" in result.output
        assert len(list(mail.outbox().glob("*.eml"))) == 1


def test_flask_mail_test_says_when_the_server_is_down_and_keeps_the_message(make_app, mail_server):
    app = make_app(MAIL_URL=mail_server.url)
    mail_server.stop()
    result = app.test_cli_runner().invoke(args=["mail", "test", "admin@example.org"])
    assert result.exit_code == 1
    assert "Not sent yet" in result.output
    with app.app_context():
        [waiting] = db.get_session().scalars(select(Mail)).all()
    assert waiting.state == MailState.QUEUED


@pytest.mark.parametrize("address", ["not an address", "two@example.org, three@example.org"])
def test_flask_mail_test_refuses_what_is_not_one_address(make_app, address):
    app = make_app()
    result = app.test_cli_runner().invoke(args=["mail", "test", address])
    assert result.exit_code == 1
    assert "is not an email address" in result.output


@pytest.mark.parametrize(("mail_url", "shown"), [(None, True), ("smtp://127.0.0.1:2525", False)])
def test_the_queue_says_when_mail_is_not_configured(make_app, mail_url, shown):
    app = make_app(MAIL_URL=mail_url)
    create_moderator(app, "mod")
    page = log_in(app, "mod").get("/moderation/").get_data(as_text=True)
    assert ('id="mail-not-configured"' in page) is shown
    assert ("instance/outbox/" in page) is shown
