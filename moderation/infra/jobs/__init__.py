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

from moderation.infra.jobs.queue import (
    Kind,
    QueueUnavailable,
    Retry,
    init_app,
    run_due_jobs,
    run_job,
    stop,
    submit,
)
from moderation.infra.jobs.redis_queue import perform, recover, work

__all__ = [
    "Kind",
    "QueueUnavailable",
    "Retry",
    "init_app",
    "perform",  # RQ jobs enqueued before this package name moderation.jobs.perform
    "recover",
    "run_due_jobs",
    "run_job",
    "stop",
    "submit",
    "work",
]
