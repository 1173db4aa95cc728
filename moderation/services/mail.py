"""Mail as a use case (issue 14): a message is built from its Jinja templates when it is
asked for, stored as a row in the caller's transaction, and sent by a job after the
commit, with retries and backoff. So a request never waits for the SMTP server, and an
SMTP server that is down loses nothing: the job tries again for about a day and a half.

Every message goes to one recipient. Templates live in templates/mail/: NAME.txt and
NAME.html, each given the same context.
"""

from datetime import timedelta
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.infra import jobs
from moderation.infra import mail as transport
from moderation.infra.models import Job, Mail, utcnow
from moderation.rules.limits import MAIL_SUBJECT_MAX_CHARS
from moderation.rules.statuses import MailKind, MailState

SEND = "mail.send"
# 60 s doubling: the twelfth attempt comes about 34 hours after the first.
SEND_ATTEMPTS = 12
DAY = timedelta(days=1)


def queue_mail(
    session: Session,
    recipient: str,
    kind: MailKind,
    template: str,
    subject: str,
    context: dict,
    *,
    entry_id: int | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Mail:
    """Build the message from templates/mail/<template>.txt and .html and queue it for
    sending once the caller commits."""
    subject = " ".join(subject.split())[:MAIL_SUBJECT_MAX_CHARS]
    context = {"subject": subject, **context}
    sender = current_app.config["MAIL_FROM"]
    draft = transport.Draft(
        sender=sender,
        recipient=recipient,
        subject=subject,
        text=render_template(f"mail/{template}.txt", **context),
        html=render_template(f"mail/{template}.html", **context),
        headers=headers,
    )
    mail = Mail(
        recipient=recipient,
        kind=kind,
        entry_id=entry_id,
        subject=subject,
        message=transport.build(draft).as_bytes(),
        state=MailState.QUEUED,
        error="",
    )
    session.add(mail)
    session.flush()
    jobs.submit(session, SEND, mail.id)
    return mail


def job_of(session: Session, mail: Mail) -> int:
    """The id of the job that sends this mail."""
    return session.scalar(select(Job.id).where(Job.kind == SEND, Job.subject_id == mail.id))


def sent_today(session: Session, recipient: str) -> int:
    """Mails written to this address in the last 24 hours, for the daily cap."""
    return session.scalar(
        select(func.count())
        .select_from(Mail)
        .where(Mail.recipient == recipient, Mail.created >= utcnow() - DAY)
    )


def outbox() -> Path:
    """Where messages go without MAIL_URL."""
    return Path(current_app.instance_path) / transport.OUTBOX


def configured() -> bool:
    """Whether MAIL_URL names an SMTP server (else the outbox takes every message)."""
    return current_app.config["MAIL_URL"] is not None


def _send(session: Session, mail_id: int) -> None:
    mail = session.get(Mail, mail_id)
    if mail is None or mail.state != MailState.QUEUED:
        return
    config = current_app.config
    try:
        transport.deliver(
            mail.message,
            config["MAIL_FROM"],
            mail.recipient,
            config["MAIL_URL"],
            outbox(),
            config["MAIL_TIMEOUT"],
        )
    except transport.TransientFailure as failure:
        raise jobs.Retry(str(failure)) from None
    except transport.Undeliverable as refused:
        mail.state, mail.error = MailState.FAILED, str(refused)
        return
    mail.state, mail.sent, mail.error = MailState.SENT, utcnow(), ""


def _give_up(session: Session, mail_id: int, reason: str) -> None:
    mail = session.get(Mail, mail_id)
    if mail is not None:
        mail.state, mail.error = MailState.FAILED, reason


KIND = jobs.Kind(_send, _give_up, max_attempts=SEND_ATTEMPTS)
