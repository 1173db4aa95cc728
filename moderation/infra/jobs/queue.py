"""Jobs as rows: submitted in the caller's transaction, dispatched after its commit,
claimed by one conditional UPDATE, run, retried with backoff or failed.

With REDIS_URL a job goes onto RQ through the enqueue function that jobs.init_app
hands to init_app (redis_queue.enqueue): redis_queue builds on this module, never the
other way round.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, SessionTransaction

from moderation.infra.jobs.pool import Pool
from moderation.infra.models import Job, JobState, utcnow
from moderation.rules.limits import JOB_ERROR_MAX_CHARS

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

EXTENSION = "moderation.jobs"
PENDING = "moderation.jobs.pending"  # session.info: (app, job id) to dispatch after commit
LISTENING = "moderation.jobs.listening"  # session.info: its commit events are hooked
CANDIDATES = 20  # due jobs a pool thread tries per round before it waits


class Retry(Exception):
    """A transient failure (e.g. the source could not be fetched): try again later;
    str() is the reason."""


class QueueUnavailable(Exception):
    """The RQ queue's Redis could not be reached."""


@dataclass(frozen=True)
class Kind:
    """What one kind of job does with its subject, and how it gives up on it."""

    # Does the work inside the session; raises Retry for a transient failure.
    run: Callable[[Session, int], None]
    # After the last attempt, or an unexpected error: records the reason on the subject.
    failed: Callable[[Session, int, str], None]
    # Attempts before it fails; None: JOB_MAX_ATTEMPTS. A mail waits out a long outage.
    max_attempts: int | None = None


@dataclass(frozen=True)
class Settings:
    workers: int
    max_attempts: int
    retry_seconds: float
    lease_seconds: float
    poll_seconds: float
    redis_url: str | None
    queue_name: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings":
        return cls(
            workers=config["JOB_WORKERS"],
            max_attempts=max(1, config["JOB_MAX_ATTEMPTS"]),
            retry_seconds=config["JOB_RETRY_SECONDS"],
            lease_seconds=config["JOB_LEASE_SECONDS"],
            poll_seconds=config["JOB_POLL_SECONDS"],
            redis_url=config["REDIS_URL"],
            queue_name=config["JOB_QUEUE_NAME"] or "moderation",
        )


# Puts a job on RQ (state, job id, attempts, run_after: None for now); False when Redis
# is unreachable and the job waits in the database.
Enqueue = Callable[["State", int, int, datetime | None], bool]


class State:
    """One app's kinds, settings, local pool (without Redis) and Redis client (with it)."""

    def __init__(self, app: Flask, kinds: Mapping[str, Kind], enqueue: Enqueue | None) -> None:
        self.app = app
        self.kinds = dict(kinds)
        self.settings = Settings.from_config(app.config)
        if self.settings.redis_url is not None and enqueue is None:
            raise RuntimeError("REDIS_URL is set: init_app needs the function that enqueues")
        self.enqueue = enqueue
        local = self.settings.redis_url is None and self.settings.workers > 0
        self.pool = Pool(self.settings, lambda: run_next(app)) if local else None
        self.redis_client: redis.Redis | None = None  # made by redis_queue on first use


def init_app(app: Flask, kinds: Mapping[str, Kind], enqueue: Enqueue | None = None) -> None:
    """Register the kinds of job, and with REDIS_URL how a job goes onto RQ; without
    REDIS_URL, each process starts its pool on its first request."""
    first = EXTENSION not in app.extensions
    # Called again (tests): the kinds change.
    app.extensions[EXTENSION] = State(app, kinds, enqueue)
    if first:
        # First in line: any request starts it, even one that CSRF or a limit turns away.
        app.before_request_funcs.setdefault(None, []).insert(0, lambda: _start_pool(app))


def _start_pool(app: Flask) -> None:
    pool = state_of(app).pool
    if pool is not None:
        pool.start_in_this_process()


def state_of(app: Flask) -> State:
    try:
        return app.extensions[EXTENSION]
    except KeyError:
        raise RuntimeError("jobs.init_app(app, kinds) was not called") from None


def sessions(app: Flask):
    return app.extensions["moderation.sessionmaker"]


# Submitting: the row now, the dispatch after the caller's commit.


def submit(session: Session, kind: str, subject_id: int, run_after: datetime | None = None) -> Job:
    """Add a queued job, due now or at run_after; it is dispatched once the caller
    commits, and never if it does not."""
    app = current_app._get_current_object()
    if kind not in state_of(app).kinds:
        raise LookupError(f"no job kind {kind!r} is registered")
    job = Job(
        kind=kind,
        subject_id=subject_id,
        state=JobState.QUEUED,
        attempts=0,
        run_after=run_after or utcnow(),
        error="",
    )
    session.add(job)
    session.flush()
    if not session.info.get(LISTENING):
        event.listen(session, "after_commit", _dispatch_committed)
        event.listen(session, "after_transaction_end", _forget_uncommitted)
        session.info[LISTENING] = True
    session.info.setdefault(PENDING, []).append((app, job.id, run_after))
    return job


def _dispatch_committed(session: Session) -> None:
    for app, job_id, run_after in session.info.pop(PENDING, ()):
        try:
            _dispatch(app, job_id, run_after)
        except Exception:  # the job is safe in the database; the request must not fail
            logger.exception("Job %d could not be dispatched; it waits in the database", job_id)


def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # after_commit has taken what was committed; what is left was rolled back or abandoned.
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def _dispatch(app: Flask, job_id: int, run_after: datetime | None) -> None:
    state = state_of(app)
    if state.settings.redis_url is not None:
        # Due later: RQ's scheduler moves it onto the queue then.
        state.enqueue(state, job_id, 0, run_after)
    elif state.pool is not None:
        state.pool.wake()


# Running: claim, run, then done, retry later, or failed.


def _claimable(now: datetime):
    """Queued and due, or running past its lease (its process died)."""
    return or_(
        and_(Job.state == JobState.QUEUED, Job.run_after <= now),
        and_(Job.state == JobState.RUNNING, Job.lease_until < now),
    )


def run_job(app: Flask, job_id: int) -> bool:
    """Claim the job and run it; False when it is not there to claim (taken, done or not due)."""
    state = state_of(app)
    settings = state.settings
    with app.app_context():
        now = utcnow()
        with sessions(app)() as session:
            # One conditional UPDATE: of several claimers at once, one matches the row.
            claimed = session.execute(
                update(Job)
                .where(Job.id == job_id, _claimable(now))
                .values(
                    state=JobState.RUNNING,
                    attempts=Job.attempts + 1,
                    lease_until=now + timedelta(seconds=settings.lease_seconds),
                    updated=now,
                )
                .returning(Job.kind, Job.subject_id, Job.attempts)
                .execution_options(synchronize_session=False)
            ).one_or_none()
            session.commit()
        if claimed is None:
            return False
        kind_name, subject_id, attempt = claimed
        _Run(state, job_id, kind_name, subject_id, attempt).execute()
    return True


class _Run:
    """One claimed attempt of one job."""

    def __init__(
        self, state: State, job_id: int, kind_name: str, subject_id: int, attempt: int
    ) -> None:
        self.state = state
        self.settings = state.settings
        self.job_id = job_id
        self.kind_name = kind_name
        self.kind = state.kinds.get(kind_name)
        self.subject_id = subject_id
        self.attempt = attempt
        kind_attempts = self.kind.max_attempts if self.kind is not None else None
        self.max_attempts = max(1, kind_attempts or self.settings.max_attempts)

    def execute(self) -> None:
        with sessions(self.state.app)() as session:
            if self.kind is None:
                self._fail(session, f"no job kind {self.kind_name!r} is registered")
                return
            if self.attempt > self.max_attempts:  # earlier attempts died mid-run
                self._fail(session, f"stopped after {self.max_attempts} attempts")
                return
            try:
                self.kind.run(session, self.subject_id)
            except Retry as retry:
                session.rollback()
                self._retry_or_fail(session, str(retry) or "a transient failure")
            except OperationalError:  # the database went away or timed out: a passing trouble
                session.rollback()
                logger.warning("Job %d (%s): database error", self.job_id, self.kind_name)
                self._retry_or_fail(session, "a database error interrupted the job")
            except Exception as error:
                session.rollback()
                logger.exception("Job %d (%s) failed unexpectedly", self.job_id, self.kind_name)
                # The reason may reach the sender (SPEC §3 (HTTP surface): GET
                # /webmention/<id> tells why it was rejected): the error's type, not its
                # message.
                self._fail(session, f"an unexpected error stopped the job ({type(error).__name__})")
            else:
                if self._move(session, state=JobState.DONE, error=""):
                    session.commit()
                    logger.debug("Job %d (%s) done", self.job_id, self.kind_name)

    def _move(self, session: Session, **values: Any) -> bool:
        """Leave RUNNING, unless the lease was lost and another claim took the job over."""
        moved = session.execute(
            update(Job)
            .where(Job.id == self.job_id, Job.state == JobState.RUNNING)
            .where(Job.attempts == self.attempt)
            .values(lease_until=None, updated=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:
            return True
        session.rollback()  # its work too: the new claimer does it again
        logger.warning(
            "Job %d (%s) outlived its lease; its result is dropped", self.job_id, self.kind_name
        )
        return False

    def _retry_or_fail(self, session: Session, reason: str) -> None:
        reason = reason[:JOB_ERROR_MAX_CHARS]
        if self.attempt >= self.max_attempts:
            self._fail(session, reason)
            return
        delay = self.settings.retry_seconds * 2 ** (self.attempt - 1)
        run_after = utcnow() + timedelta(seconds=delay)
        if not self._move(session, state=JobState.QUEUED, run_after=run_after, error=reason):
            return
        session.commit()
        logger.info(
            "Job %d (%s) attempt %d of %d: %s; next in %gs",
            *(self.job_id, self.kind_name, self.attempt, self.max_attempts, reason, delay),
        )
        if self.settings.redis_url is not None:
            self.state.enqueue(self.state, self.job_id, self.attempt, run_after)
        # The local pool finds it when it is due: its threads look every JOB_POLL_SECONDS.

    def _fail(self, session: Session, reason: str) -> None:
        reason = reason[:JOB_ERROR_MAX_CHARS]
        if not self._move(session, state=JobState.FAILED, error=reason):
            return
        logger.warning("Job %d (%s) failed: %s", self.job_id, self.kind_name, reason)
        if self.kind is None:
            session.commit()
            return
        try:
            self.kind.failed(session, self.subject_id, reason)
            session.commit()
        except Exception:
            session.rollback()
            logger.exception(
                "Job %d (%s): recording its failure failed", self.job_id, self.kind_name
            )
            if self._move(session, state=JobState.FAILED, error=reason):
                session.commit()


def due_ids(app: Flask, limit: int | None = None) -> list[int]:
    statement = select(Job.id).where(_claimable(utcnow())).order_by(Job.run_after, Job.id)
    with sessions(app)() as session:
        return list(session.scalars(statement.limit(limit)))


def run_due_jobs(app: Flask) -> int:
    """Claim and run every job due now, in this thread; return how many ran."""
    return sum(run_job(app, job_id) for job_id in due_ids(app))


def run_next(app: Flask) -> bool:
    """Run one due job, if any is left to claim."""
    return any(run_job(app, job_id) for job_id in due_ids(app, CANDIDATES))


def stop(app: Flask) -> None:
    """Stop this app's local pool and wait for its threads; it does not start again."""
    state = app.extensions.get(EXTENSION)
    if state is not None and state.pool is not None:
        state.pool.stop()
