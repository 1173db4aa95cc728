"""With REDIS_URL: the RQ queue carries job ids; the database stays the record. Also
`work`, the worker command, which without REDIS_URL works the database queue.

This module builds on queue.py, which never imports it: jobs.init_app hands `enqueue`
to queue.init_app."""

import logging
import math
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import redis
from flask import Flask, current_app
from redis.backoff import ExponentialBackoff
from redis.retry import Retry as RedisRetry
from rq import Queue, SimpleWorker
from rq.job import JobStatus
from sqlalchemy import and_, or_, select

from moderation.infra.jobs import queue
from moderation.infra.jobs.pool import work_loop
from moderation.infra.models import Job, JobState, utcnow

logger = logging.getLogger(__name__)

WAITING_IN_RQ = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def _name(settings: queue.Settings) -> str:
    """The queue's name as RQ ids may spell it (letters, digits, - and _)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", settings.queue_name)


def _rq_id(settings: queue.Settings, job_id: int, attempts: int) -> str:
    """One RQ job per attempt, named after the queue: two deployments never collide."""
    return f"{_name(settings)}-{job_id}-{attempts}"


def _queue(state: queue.State) -> Queue:
    """The RQ queue, through a client that gives up quickly: requests must not hang."""
    if state.redis_client is None:
        state.redis_client = redis.Redis.from_url(
            state.settings.redis_url,
            socket_connect_timeout=2,
            socket_timeout=5,
            retry=RedisRetry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        )
    return Queue(state.settings.queue_name, connection=state.redis_client)


def enqueue(
    state: queue.State, job_id: int, attempts: int, run_after: datetime | None = None, rq_id=None
) -> bool:
    """Put the job on RQ, at once or at run_after; if Redis is down it waits in the database."""
    options = {
        "job_id": rq_id or _rq_id(state.settings, job_id, attempts),
        "result_ttl": 0,  # the database keeps the outcome
        "job_timeout": max(1, math.ceil(state.settings.lease_seconds)),
    }
    try:
        rq_queue = _queue(state)
        if run_after is None or run_after <= utcnow():
            rq_queue.enqueue(perform, job_id, **options)
        else:
            # RQ's scheduler counts whole seconds: round up, so it never runs early.
            at = datetime.fromtimestamp(math.ceil(run_after.timestamp()), UTC)
            rq_queue.enqueue_at(at, perform, job_id, **options)
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
    if queue.run_job(app, job_id):
        return
    # A worker whose clock runs ahead may get a retry before the database finds it due.
    with queue.sessions(app)() as session:
        job = session.get(Job, job_id)
    if job is not None and job.state == JobState.QUEUED and job.run_after > utcnow():
        rq_id = (
            f"{_rq_id(queue.state_of(app).settings, job_id, job.attempts)}-{uuid.uuid4().hex[:8]}"
        )
        enqueue(queue.state_of(app), job_id, job.attempts, job.run_after, rq_id)


def recover(app: Flask) -> int:
    """Hand RQ the unfinished jobs it does not hold: written while Redis was down, or
    whose process died mid-run. Return how many were enqueued."""
    state = queue.state_of(app)
    if state.settings.redis_url is None:
        return 0  # the pool reads the database itself
    now = utcnow()
    statement = select(Job.id, Job.state, Job.attempts, Job.run_after).where(
        or_(
            Job.state == JobState.QUEUED,
            and_(Job.state == JobState.RUNNING, Job.lease_until < now),
        )
    )
    with queue.sessions(app)() as session:
        unfinished = session.execute(statement.order_by(Job.run_after, Job.id)).all()
    enqueued = 0
    with _redis_errors():
        rq_queue = _queue(state)
        for job_id, job_state, attempts, run_after in unfinished:
            waiting = rq_queue.fetch_job(_rq_id(state.settings, job_id, attempts))
            if waiting is not None and waiting.get_status() in WAITING_IN_RQ:
                continue
            due_later = run_after if job_state == JobState.QUEUED else None
            enqueued += enqueue(state, job_id, attempts, due_later)
    return enqueued


@contextmanager
def _redis_errors() -> Iterator[None]:
    try:
        yield
    except redis.RedisError as error:
        raise queue.QueueUnavailable(f"Redis is unreachable: {error}") from error


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
    state = queue.state_of(app)
    settings = state.settings
    if settings.redis_url is None:
        if burst:
            queue.run_due_jobs(app)
        else:
            work_loop(
                lambda: queue.run_next(app),
                settings.poll_seconds,
                threading.Event(),
                threading.Event(),
            )
        return
    # No database connection shared over a fork: RQ's scheduler runs in a forked process.
    app.extensions["moderation.engine"].dispose()
    with _redis_errors():
        connection = redis.Redis.from_url(settings.redis_url)
        worker = _Worker(
            app,
            [Queue(settings.queue_name, connection=connection)],
            connection=connection,
            name=f"{_name(settings)}-{uuid.uuid4().hex}",
        )
        # With the scheduler: RQ moves the retries onto the queue when they come due.
        worker.work(burst=burst, with_scheduler=True)
