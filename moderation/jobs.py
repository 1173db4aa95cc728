"""The durable job queue (SPEC §3 Linkbacks).

A job is a row written in the caller's transaction, so once the request has its
answer a crash or restart loses nothing. It is dispatched only after that commit:
without REDIS_URL a small pool of threads in each serving process works the queue
(started on the process's first request: never at import, never before gunicorn
forks); with REDIS_URL it goes on an RQ queue worked by `flask --app wsgi worker`.
Either way the database decides who runs a job: one conditional UPDATE claims it,
so it runs once however many threads, processes and hosts look.

Jobs carry ids only, so nothing here can log a commenter's email (§3).
"""

import logging
import math
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from flask import Flask, current_app
from redis.backoff import ExponentialBackoff
from redis.retry import Retry as RedisRetry
from rq import Queue, SimpleWorker
from rq.job import JobStatus
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, SessionTransaction

from .models import Job, JobState, utcnow

logger = logging.getLogger(__name__)

EXTENSION = "moderation.jobs"
PENDING = "moderation.jobs.pending"  # session.info: (app, job id) to dispatch after commit
LISTENING = "moderation.jobs.listening"  # session.info: its commit events are hooked
ERROR_MAX_CHARS = 500  # Job.error
CANDIDATES = 20  # due jobs a pool thread tries per round before it waits
WAITING_IN_RQ = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


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


class _State:
    """One app's kinds, settings, local pool (without Redis) and Redis client (with it)."""

    def __init__(self, app: Flask, kinds: Mapping[str, Kind]) -> None:
        self.app = app
        self.kinds = dict(kinds)
        self.settings = Settings.from_config(app.config)
        local = self.settings.redis_url is None and self.settings.workers > 0
        self.pool = _Pool(app, self.settings) if local else None
        self._redis: redis.Redis | None = None

    def queue(self) -> Queue:
        """The RQ queue, through a client that gives up quickly: requests must not hang."""
        if self._redis is None:
            self._redis = redis.Redis.from_url(
                self.settings.redis_url,
                socket_connect_timeout=2,
                socket_timeout=5,
                retry=RedisRetry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
            )
        return Queue(self.settings.queue_name, connection=self._redis)


def init_app(app: Flask, kinds: Mapping[str, Kind]) -> None:
    """Register the kinds of job; without REDIS_URL, each process starts its pool on its
    first request."""
    first = EXTENSION not in app.extensions
    app.extensions[EXTENSION] = _State(app, kinds)  # called again (tests): the kinds change
    if first:
        # First in line: any request starts it, even one that CSRF or a limit turns away.
        app.before_request_funcs.setdefault(None, []).insert(0, lambda: _start_pool(app))


def _start_pool(app: Flask) -> None:
    pool = _state(app).pool
    if pool is not None:
        pool.start_in_this_process()


def _state(app: Flask) -> _State:
    try:
        return app.extensions[EXTENSION]
    except KeyError:
        raise RuntimeError("jobs.init_app(app, kinds) was not called") from None


def _sessions(app: Flask):
    return app.extensions["moderation.sessionmaker"]


# Submitting: the row now, the dispatch after the caller's commit.


def submit(session: Session, kind: str, subject_id: int) -> Job:
    """Add a queued job; it is dispatched once the caller commits, and never if it does not."""
    app = current_app._get_current_object()
    if kind not in _state(app).kinds:
        raise LookupError(f"no job kind {kind!r} is registered")
    job = Job(
        kind=kind,
        subject_id=subject_id,
        state=JobState.QUEUED,
        attempts=0,
        run_after=utcnow(),
        error="",
    )
    session.add(job)
    session.flush()
    if not session.info.get(LISTENING):
        event.listen(session, "after_commit", _dispatch_committed)
        event.listen(session, "after_transaction_end", _forget_uncommitted)
        session.info[LISTENING] = True
    session.info.setdefault(PENDING, []).append((app, job.id))
    return job


def _dispatch_committed(session: Session) -> None:
    for app, job_id in session.info.pop(PENDING, ()):
        try:
            _dispatch(app, job_id)
        except Exception:  # the job is safe in the database; the request must not fail
            logger.exception("Job %d could not be dispatched; it waits in the database", job_id)


def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # after_commit has taken what was committed; what is left was rolled back or abandoned.
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def _dispatch(app: Flask, job_id: int) -> None:
    state = _state(app)
    if state.settings.redis_url is not None:
        _enqueue(state, job_id, attempts=0)
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
    state = _state(app)
    settings = state.settings
    with app.app_context():
        now = utcnow()
        with _sessions(app)() as session:
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
        self, state: _State, job_id: int, kind_name: str, subject_id: int, attempt: int
    ) -> None:
        self.state = state
        self.settings = state.settings
        self.job_id = job_id
        self.kind_name = kind_name
        self.kind = state.kinds.get(kind_name)
        self.subject_id = subject_id
        self.attempt = attempt

    def execute(self) -> None:
        with _sessions(self.state.app)() as session:
            if self.kind is None:
                self._fail(session, f"no job kind {self.kind_name!r} is registered")
                return
            if self.attempt > self.settings.max_attempts:  # earlier attempts died mid-run
                self._fail(session, f"stopped after {self.settings.max_attempts} attempts")
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
                # The reason may reach the sender (§3): the error's type, not its message.
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
        reason = reason[:ERROR_MAX_CHARS]
        if self.attempt >= self.settings.max_attempts:
            self._fail(session, reason)
            return
        delay = self.settings.retry_seconds * 2 ** (self.attempt - 1)
        run_after = utcnow() + timedelta(seconds=delay)
        if not self._move(session, state=JobState.QUEUED, run_after=run_after, error=reason):
            return
        session.commit()
        logger.info(
            "Job %d (%s) attempt %d of %d: %s; next in %gs",
            *(self.job_id, self.kind_name, self.attempt, self.settings.max_attempts, reason, delay),
        )
        if self.settings.redis_url is not None:
            _enqueue(self.state, self.job_id, self.attempt, run_after)
        # The local pool finds it when it is due: its threads look every JOB_POLL_SECONDS.

    def _fail(self, session: Session, reason: str) -> None:
        reason = reason[:ERROR_MAX_CHARS]
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


def _due_ids(app: Flask, limit: int | None = None) -> list[int]:
    statement = select(Job.id).where(_claimable(utcnow())).order_by(Job.run_after, Job.id)
    with _sessions(app)() as session:
        return list(session.scalars(statement.limit(limit)))


def run_due_jobs(app: Flask) -> int:
    """Claim and run every job due now, in this thread; return how many ran."""
    return sum(run_job(app, job_id) for job_id in _due_ids(app))


def _run_next(app: Flask) -> bool:
    """Run one due job, if any is left to claim."""
    return any(run_job(app, job_id) for job_id in _due_ids(app, CANDIDATES))


def _work_loop(
    app: Flask, poll_seconds: float, stopping: threading.Event, wake: threading.Event
) -> None:
    """Run due jobs until stopped; when none is due, wait to be woken or for the next look."""
    last_trouble = None
    while not stopping.is_set():
        wake.clear()  # before looking: a wake during the look is not lost
        try:
            ran = _run_next(app)
            last_trouble = None
        except Exception as error:  # the database is down, say: keep going, quietly
            if stopping.is_set():
                return
            trouble = f"{type(error).__name__}: {error}".splitlines()[0]
            level = logging.DEBUG if trouble == last_trouble else logging.ERROR
            logger.log(level, "Job worker: %s; looking again in %gs", trouble, poll_seconds)
            last_trouble, ran = trouble, False
        if not ran:
            wake.wait(poll_seconds)


class _Pool:
    """JOB_WORKERS daemon threads working the database queue in one process."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._threads: list[threading.Thread] = []
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def start_in_this_process(self) -> None:
        """Start the threads, once per process: a forked child starts its own (§3)."""
        if self._pid == os.getpid() or self._stopping.is_set():
            return
        with self._lock:
            if self._pid == os.getpid() or self._stopping.is_set():
                return
            self._pid = os.getpid()
            self._threads = [
                threading.Thread(
                    target=_work_loop,
                    args=(self.app, self.settings.poll_seconds, self._stopping, self._wake),
                    name=f"moderation-jobs-{number}",
                    daemon=True,
                )
                for number in range(1, self.settings.workers + 1)
            ]
            for thread in self._threads:
                thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join()


def stop(app: Flask) -> None:
    """Stop this app's local pool and wait for its threads; it does not start again."""
    state = app.extensions.get(EXTENSION)
    if state is not None and state.pool is not None:
        state.pool.stop()


# RQ (with REDIS_URL): the queue carries job ids; the database stays the record.


def _name(settings: Settings) -> str:
    """The queue's name as RQ ids may spell it (letters, digits, - and _)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", settings.queue_name)


def _rq_id(settings: Settings, job_id: int, attempts: int) -> str:
    """One RQ job per attempt, named after the queue: two deployments never collide."""
    return f"{_name(settings)}-{job_id}-{attempts}"


def _enqueue(
    state: _State, job_id: int, attempts: int, run_after: datetime | None = None, rq_id=None
) -> bool:
    """Put the job on RQ, at once or at run_after; if Redis is down it waits in the database."""
    options = {
        "job_id": rq_id or _rq_id(state.settings, job_id, attempts),
        "result_ttl": 0,  # the database keeps the outcome
        "job_timeout": max(1, math.ceil(state.settings.lease_seconds)),
    }
    try:
        queue = state.queue()
        if run_after is None or run_after <= utcnow():
            queue.enqueue(perform, job_id, **options)
        else:
            # RQ's scheduler counts whole seconds: round up, so it never runs early.
            at = datetime.fromtimestamp(math.ceil(run_after.timestamp()), UTC)
            queue.enqueue_at(at, perform, job_id, **options)
    except redis.RedisError as error:
        logger.warning(
            "Job %d waits in the database for a worker's start: Redis is unreachable (%s)",
            job_id,
            error,
        )
        return False
    return True


def perform(job_id: int) -> None:
    """Run one job for RQ, inside the worker's app context."""
    app = current_app._get_current_object()
    if run_job(app, job_id):
        return
    # A worker whose clock runs ahead may get a retry before the database finds it due.
    with _sessions(app)() as session:
        job = session.get(Job, job_id)
    if job is not None and job.state == JobState.QUEUED and job.run_after > utcnow():
        rq_id = f"{_rq_id(_state(app).settings, job_id, job.attempts)}-{uuid.uuid4().hex[:8]}"
        _enqueue(_state(app), job_id, job.attempts, job.run_after, rq_id)


def recover(app: Flask) -> int:
    """Hand RQ the unfinished jobs it does not hold: written while Redis was down, or
    whose process died mid-run. Return how many were enqueued."""
    state = _state(app)
    if state.settings.redis_url is None:
        return 0  # the pool reads the database itself
    now = utcnow()
    statement = select(Job.id, Job.state, Job.attempts, Job.run_after).where(
        or_(
            Job.state == JobState.QUEUED,
            and_(Job.state == JobState.RUNNING, Job.lease_until < now),
        )
    )
    with _sessions(app)() as session:
        unfinished = session.execute(statement.order_by(Job.run_after, Job.id)).all()
    enqueued = 0
    with _redis_errors():
        queue = state.queue()
        for job_id, job_state, attempts, run_after in unfinished:
            waiting = queue.fetch_job(_rq_id(state.settings, job_id, attempts))
            if waiting is not None and waiting.get_status() in WAITING_IN_RQ:
                continue
            due_later = run_after if job_state == JobState.QUEUED else None
            enqueued += _enqueue(state, job_id, attempts, due_later)
    return enqueued


@contextmanager
def _redis_errors() -> Iterator[None]:
    try:
        yield
    except redis.RedisError as error:
        raise QueueUnavailable(f"Redis is unreachable: {error}") from error


class _Worker(SimpleWorker):
    """RQ's in-process worker: each job runs here, inside the app context. At its start
    and at each of RQ's maintenance rounds it also hands RQ the jobs it lost (recover)."""

    def __init__(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        try:
            recovered = recover(self.app)
        except Exception as error:  # the database is down, say: the next round tries again
            self.log.error("Unfinished jobs not recovered: %s", str(error).splitlines()[0])
        else:
            if recovered:
                noun = "job" if recovered == 1 else "jobs"
                self.log.info("%d unfinished %s queued again", recovered, noun)


def work(app: Flask, burst: bool = False) -> None:
    """Work the queue in the foreground: the RQ queue with REDIS_URL, else the database.

    Without Redis, this lets JOB_WORKERS=0 web processes leave the jobs to a worker.
    """
    state = _state(app)
    settings = state.settings
    if settings.redis_url is None:
        if burst:
            run_due_jobs(app)
        else:
            _work_loop(app, settings.poll_seconds, threading.Event(), threading.Event())
        return
    # No database connection shared over a fork: RQ's scheduler runs in a forked process.
    app.extensions["moderation.engine"].dispose()
    with _redis_errors():
        connection = redis.Redis.from_url(settings.redis_url)
        queue = Queue(settings.queue_name, connection=connection)
        worker = _Worker(
            app, [queue], connection=connection, name=f"{_name(settings)}-{uuid.uuid4().hex}"
        )
        # With the scheduler: RQ moves the retries onto the queue when they come due.
        worker.work(burst=burst, with_scheduler=True)
