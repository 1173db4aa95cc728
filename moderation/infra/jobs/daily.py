"""Jobs that run once a day at an hour the config names (UTC), each run scheduling the
next one, after a failure too: the moderators' digest and the maintenance. A job's
subject is its day, as date.toordinal()."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.infra.jobs.queue import Kind, submit
from moderation.infra.models import Job, JobState, utcnow


@dataclass(frozen=True)
class Daily:
    kind: str  # the job kind it is registered as
    hour_key: str  # the config key of its hour
    work: Callable[[Session, date], None]

    def due(self, day: date) -> datetime:
        """When the run of `day` is due: at its hour, UTC."""
        return datetime.combine(day, time(current_app.config[self.hour_key]), tzinfo=UTC)

    def next_day(self, now: datetime) -> date:
        """The first day whose run is still to come at `now`."""
        today = now.astimezone(UTC).date()
        return today if now < self.due(today) else today + timedelta(days=1)

    def schedule(self, session: Session, day: date) -> None:
        """Submit the run of `day`, at its hour, unless it is queued already."""
        queued = session.scalar(
            select(Job.id)
            .where(
                Job.kind == self.kind,
                Job.subject_id == day.toordinal(),
                Job.state == JobState.QUEUED,
            )
            .limit(1)
        )
        if queued is None:
            submit(session, self.kind, day.toordinal(), run_after=self.due(day))

    def seed(self, session: Session) -> None:
        """Start the chain of daily runs, unless a run is queued or running."""
        running = session.scalar(
            select(Job.id)
            .where(Job.kind == self.kind, Job.state.in_((JobState.QUEUED, JobState.RUNNING)))
            .limit(1)
        )
        if running is None:
            self.schedule(session, self.next_day(utcnow()))

    def job_kind(self) -> Kind:
        """The job kind to register: the day's work, then the next day's run."""
        return Kind(self._run, self._failed)

    def _run(self, session: Session, ordinal: int) -> None:
        day = date.fromordinal(ordinal)
        self.work(session, day)
        self._schedule_after(session, day)

    def _failed(self, session: Session, ordinal: int, reason: str) -> None:
        self._schedule_after(session, date.fromordinal(ordinal))

    def _schedule_after(self, session: Session, day: date) -> None:
        # After a long outage, the next one that is still to come, not one per day missed.
        self.schedule(session, max(day + timedelta(days=1), self.next_day(utcnow())))
