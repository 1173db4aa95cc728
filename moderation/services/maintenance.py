"""Retention (issue 15): the daily maintenance run that shortens old IP addresses,
clears old user agents, deletes old spam and trash, and what no entry uses any more.

- IP addresses and user agents older than IP_RETENTION_DAYS (by when the row was
  written): the address becomes its /24 or /48 (rules/retention.py), the user agent
  goes; in entries, mentions and the audit log (moderators' addresses). Rows already
  shortened are left alone, so a second run changes nothing.
- Spam and trash PURGE_AFTER_DAYS after they became spam or trash (their `updated`: a
  status change sets it, and shortening an address leaves it as it was) are deleted as
  emptying the spam does: their photos, and the webhooks told. Replies to them stay, as
  replies to nothing (the FK sets NULL), as after any deletion. Pending and approved
  entries are never deleted here.
- What no entry uses any more: photos; finished mentions whose entry is gone; and,
  after PURGE_AFTER_DAYS too, sent or failed mails (they hold addresses), finished jobs
  and webhook deliveries (they hold names and text); used mail action links once they
  would have expired, and readers' data requests once their link has.

0 days keeps the matter forever. Each run writes one audit line with what it did. The
run is a job of the queue, due daily at MAINTENANCE_HOUR (UTC), each run submitting the
next day's as the digest does (services/notices.py); web/cli_maintenance.py starts the
chain, and `flask maintenance` runs it at once.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from flask import current_app
from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from moderation.infra.jobs import queue as job_queue
from moderation.infra.jobs.daily import Daily
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
    WebhookDelivery,
    utcnow,
)
from moderation.rules import retention
from moderation.rules.statuses import DeliveryState, MailState, MentionState, Status
from moderation.services import data_requests, moderating
from moderation.services.accounts import Actor, record
from moderation.services.linkbacks import photos

logger = logging.getLogger(__name__)

RUN = "maintenance"  # the job; its subject_id is the day, as date.toordinal()
ACTOR = Actor(None, "maintenance", "")  # who the audit log names
BATCH = 500  # distinct addresses shortened per UPDATE


@dataclass(frozen=True)
class Retention:
    """How long things are kept, from the config: days (0: forever), and seconds a mail
    action link works."""

    ip_days: int
    purge_days: int
    mail_action_seconds: int

    @classmethod
    def from_config(cls, config: Any) -> "Retention":
        return cls(
            ip_days=config["IP_RETENTION_DAYS"],
            purge_days=config["PURGE_AFTER_DAYS"],
            mail_action_seconds=config["MAIL_ACTION_MAX_AGE"],
        )


@dataclass
class Report:
    """What one run did: rows changed or deleted, of each kind."""

    addresses_reduced: int = 0
    user_agents_cleared: int = 0
    spam_deleted: int = 0
    trash_deleted: int = 0
    photos_deleted: int = 0
    mentions_deleted: int = 0
    mails_deleted: int = 0
    jobs_deleted: int = 0
    deliveries_deleted: int = 0
    mail_actions_deleted: int = 0
    data_requests_deleted: int = 0

    LABELS: ClassVar[dict[str, str]] = {
        "addresses_reduced": "IP addresses shortened",
        "user_agents_cleared": "user agents cleared",
        "spam_deleted": "spam deleted",
        "trash_deleted": "trash deleted",
        "photos_deleted": "unused photos deleted",
        "mentions_deleted": "finished linkback requests deleted",
        "mails_deleted": "sent or failed mails deleted",
        "jobs_deleted": "finished jobs deleted",
        "deliveries_deleted": "webhook deliveries deleted",
        "mail_actions_deleted": "expired mail links forgotten",
        "data_requests_deleted": "expired data requests deleted",
    }

    def counts(self) -> list[tuple[str, int]]:
        """Each count with its label, in order."""
        return [(self.LABELS[name], getattr(self, name)) for name in self.LABELS]

    def summary(self) -> str:
        """The counts that are not 0, on one line, for the audit log."""
        return "; ".join(f"{label}: {count}" for label, count in self.counts() if count) or (
            "nothing to do"
        )


def run(session: Session, kept: Retention, now: datetime) -> Report:
    """Apply the retention rules as of `now`, log it, and say what was done."""
    report = Report()
    purged: list[int] = []
    photos_before = _count(session, Photo)  # the purge removes its entries' photos too
    if kept.purge_days:
        cutoff = now - timedelta(days=kept.purge_days)
        purged, report.spam_deleted, report.trash_deleted = _purge_entries(session, cutoff)
        report.mails_deleted, report.jobs_deleted, report.deliveries_deleted = _purge_records(
            session, cutoff
        )
        report.mentions_deleted = _delete(
            session,
            Mention,
            Mention.entry_id.is_(None),
            Mention.state != MentionState.QUEUED,
            Mention.updated < cutoff,
        )
    photos.remove_unused(session)
    report.photos_deleted = photos_before - _count(session, Photo)
    if kept.ip_days:
        cutoff = now - timedelta(days=kept.ip_days)
        for model in (Entry, Mention, AuditEvent):
            report.addresses_reduced += _reduce_addresses(session, model, cutoff)
        for model in (Entry, Mention):
            report.user_agents_cleared += _clear_user_agents(session, model, cutoff)
    expired = now - timedelta(seconds=kept.mail_action_seconds)
    report.mail_actions_deleted = _delete(session, UsedMailAction, UsedMailAction.created < expired)
    report.data_requests_deleted = _delete(
        session, DataRequest, DataRequest.created <= now - data_requests.LIFETIME
    )
    # The entries deleted are named, as after emptying the spam by hand.
    record(session, ACTOR, RUN, purged, report.summary())
    return report


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _delete(session: Session, model: type, *where) -> int:
    return session.execute(
        delete(model).where(*where).execution_options(synchronize_session=False)
    ).rowcount


def _purge_entries(session: Session, cutoff: datetime) -> tuple[list[int], int, int]:
    """Delete spam and trash that became so before `cutoff`, as moderating.empty does;
    return their ids, and how many of each."""
    spam = moderating.delete_entries(session, Entry.status == Status.SPAM, Entry.updated < cutoff)
    trash = moderating.delete_entries(session, Entry.status == Status.TRASH, Entry.updated < cutoff)
    return sorted(spam + trash), len(spam), len(trash)


def _purge_records(session: Session, cutoff: datetime) -> tuple[int, int, int]:
    """Delete the mails, jobs and webhook deliveries finished before `cutoff`."""
    mails = _delete(
        session, Mail, Mail.state.in_((MailState.SENT, MailState.FAILED)), Mail.created < cutoff
    )
    finished = _delete(
        session, Job, Job.state.in_((JobState.DONE, JobState.FAILED)), Job.updated < cutoff
    )
    deliveries = _delete(
        session,
        WebhookDelivery,
        WebhookDelivery.state.in_((DeliveryState.DELIVERED, DeliveryState.FAILED)),
        WebhookDelivery.updated < cutoff,
    )
    return mails, finished, deliveries


def _shortened(column):
    """SQL for retention.is_reduced: the values a run passes over."""
    return or_(
        column == "",
        and_(column.like("%.0"), ~column.like("%:%")),
        and_(column.like("%::"), ~column.like("%:%:%:%::")),
    )


def _unchanged_time(model: type) -> dict:
    """Keep `updated` as it was: the purge's age and the dashboard read it."""
    updated = getattr(model, "updated", None)
    return {} if updated is None else {updated: updated}


def _reduce_addresses(session: Session, model: type, cutoff: datetime) -> int:
    """Shorten the addresses of `model`'s rows written before `cutoff`: one UPDATE per
    BATCH distinct addresses; return how many rows changed."""
    column = model.ip_address
    stale = session.scalars(
        select(column).distinct().where(model.created < cutoff, ~_shortened(column))
    ).all()
    changes = {old: retention.reduce_address(old) for old in stale}
    olds = sorted(old for old, new in changes.items() if new != old)
    changed = 0
    for start in range(0, len(olds), BATCH):
        chunk = olds[start : start + BATCH]
        new_value = case({old: changes[old] for old in chunk}, value=column)
        changed += session.execute(
            update(model)
            .where(column.in_(chunk), model.created < cutoff)
            .values({column: new_value, **_unchanged_time(model)})
            .execution_options(synchronize_session=False)
        ).rowcount
    return changed


def _clear_user_agents(session: Session, model: type, cutoff: datetime) -> int:
    return session.execute(
        update(model)
        .where(model.created < cutoff, model.user_agent != "")
        .values({model.user_agent: "", **_unchanged_time(model)})
        .execution_options(synchronize_session=False)
    ).rowcount


# The daily job.


def _run_of(session: Session, day: date) -> None:
    report = run(session, Retention.from_config(current_app.config), utcnow())
    logger.info("Maintenance: %s", report.summary())


DAILY = Daily(RUN, "MAINTENANCE_HOUR", _run_of)
KIND = DAILY.job_kind()


def seed(session: Session) -> None:
    """Start the chain of daily runs, unless a run is queued or running, or the app's
    queue was given kinds of its own (the job queue's tests)."""
    if RUN in job_queue.state_of(current_app).kinds:
        DAILY.seed(session)
