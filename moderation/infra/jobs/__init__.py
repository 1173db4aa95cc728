"""The durable job queue (SPEC §3 (Linkbacks): webmentions and trackbacks are recorded,
answered, and verified by the job queue).

A job is a row written in the caller's transaction, so once the request has its
answer a crash or restart loses nothing. It is dispatched only after that commit:
without REDIS_URL a small pool of threads in each serving process works the queue
(started on the process's first request: never at import, never before gunicorn
forks, as SPEC §3 (Linkbacks) asks); with REDIS_URL it goes on an RQ queue worked by
`flask --app wsgi worker`. Either way the database decides who runs a job: one
conditional UPDATE claims it, so it runs once however many threads, processes and hosts
look.

Jobs carry ids only, so nothing here can log a commenter's email (SPEC §3 (Comment
fields): the email is in no log line).
"""

from collections.abc import Mapping

from flask import Flask

from moderation.infra.jobs import queue, redis_queue
from moderation.infra.jobs.queue import (
    Kind,
    QueueUnavailable,
    Retry,
    run_due_jobs,
    run_job,
    stop,
    submit,
)
from moderation.infra.jobs.redis_queue import recover, work


def init_app(app: Flask, kinds: Mapping[str, Kind]) -> None:
    """Register the kinds of job; with REDIS_URL they go onto RQ, else each serving
    process starts its pool of threads on its first request."""
    queue.init_app(app, kinds, enqueue=redis_queue.enqueue)


__all__ = [
    "Kind",
    "QueueUnavailable",
    "Retry",
    "init_app",
    "recover",
    "run_due_jobs",
    "run_job",
    "stop",
    "submit",
    "work",
]
