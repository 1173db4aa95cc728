"""Webmention verifications per second: the in-process pool and RQ workers (issue 16).

Run from the repo root: `.venv/bin/python bench/linkback_jobs.py [--mentions 2000]`
(or `make bench-linkbacks`). The RQ runs need Redis (--redis, 127.0.0.1:6379 by default);
without it they are skipped and said so.

1. A local threaded HTTP server serves each webmention's source, --delay seconds (50 ms)
   after the request, a page that links to the target, as a slow blog would.
2. A temporary SQLite database is migrated, a post created, and --mentions webmentions
   sent to it through the receiver (POST /webmention, the test client, one source
   each): --mentions verification jobs wait in the database. The app's address is
   SITE_URL; LINKBACK_ALLOW_PRIVATE_HOSTS lets the jobs fetch 127.0.0.1.
3. Each configuration works a fresh copy of that database, timed from its start until
   every verification job is done or failed:
   - the in-process pool of one app, JOB_WORKERS=2 and JOB_WORKERS=8;
   - RQ (REDIS_URL, a queue name of this run's own): the jobs handed to RQ (as a
     worker's recovery does), then 1, 2 and 4 `flask --app wsgi worker --burst`
     processes started at once; their start-up is in the time, as in a deployment.
   The RQ queue and every key named after it are deleted at the end.
4. Prints, for each: seconds, verifications per second, jobs done/failed, mentions
   verified; then the target: 4 RQ workers >= 3x one worker.
"""

import argparse
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import redis
from rq import Queue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation import create_app
from moderation.infra import config, db, jobs
from moderation.infra.models import Job, JobState, Mention
from moderation.rules.statuses import MentionState
from moderation.services import posts
from moderation.services.linkbacks import mentions

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SITE_URL = "http://moderation.bench"
SLUG = "linked"
TARGET = f"{SITE_URL}/posts/{SLUG}/"
SECRET = secrets.token_hex(32)
POOL_SIZES = (2, 8)
RQ_WORKERS = (1, 2, 4)
RQ_TARGET = 3.0  # issue 16: 4 RQ workers >= 3x one worker
TIMEOUT = 1800  # seconds a configuration may take before it is given up


class Source(BaseHTTPRequestHandler):
    """A page that links to the target, sent after a set delay (a slow blog)."""

    delay = 0.05
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        time.sleep(self.delay)
        body = (
            f'<!doctype html><title>Reply {self.path}</title><p>A reply to <a href="{TARGET}">'
            "the post</a>.</p>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        return


class Sources(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def settings(database: Path, **extra) -> dict:
    """The app's configuration for one run."""
    return {
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": SECRET,
        "SITE_URL": SITE_URL,
        "LINKBACK_ALLOW_PRIVATE_HOSTS": True,
        "RATELIMIT_ENABLED": False,
        "COMMENT_FLOOD_SECONDS": 0,
        "JOB_WORKERS": 0,
        **extra,
    }


def queue_mentions(database: Path, sources: str, count: int) -> None:
    """Migrate, create the post and send `count` webmentions through the receiver."""
    app = create_app(settings(database))
    with app.app_context():
        db.upgrade(db.engine())
        session = db.get_session()
        posts.create_post(session, SLUG, "A post that is linked to")
        session.commit()
    client = app.test_client()
    for number in range(count):
        sent = client.post(
            "/webmention", data={"source": f"{sources}/reply/{number}", "target": TARGET}
        )
        if sent.status_code != 201:
            raise RuntimeError(f"webmention {number}: {sent.status_code} {sent.text[:300]}")
    with app.app_context():
        db.engine().dispose()


@dataclass
class Outcome:
    name: str
    seconds: float
    done: int
    failed: int
    waiting: int
    verified: int
    span: float  # seconds from the first job finished to the last

    @property
    def rate(self) -> float:
        """Verifications per second, start-up included."""
        return self.done / self.seconds if self.seconds else 0.0

    @property
    def steady_rate(self) -> float:
        """Verifications per second once the first is done: start-up left out."""
        return (self.done - 1) / self.span if self.span > 0 else 0.0


def tally(database: Path) -> tuple[int, int, int, int, float]:
    """Verification jobs done, failed and not finished; mentions verified; seconds from
    the first job finished to the last."""
    engine = db.make_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        states = dict(
            session.execute(
                select(Job.state, func.count())
                .where(Job.kind == mentions.VERIFY)
                .group_by(Job.state)
            ).all()
        )
        verified = session.scalar(
            select(func.count()).where(Mention.state == MentionState.VERIFIED)
        )
        first, last = session.execute(
            select(func.min(Job.updated), func.max(Job.updated)).where(
                Job.kind == mentions.VERIFY, Job.state == JobState.DONE
            )
        ).one()
    engine.dispose()
    done, failed = states.get(JobState.DONE, 0), states.get(JobState.FAILED, 0)
    span = (last - first).total_seconds() if first and last else 0.0
    return done, failed, sum(states.values()) - done - failed, verified, span


def wait_until_finished(database: Path, started: float, alive=lambda: True) -> float:
    """Seconds from `started` until no verification job is left to run."""
    while time.monotonic() - started < TIMEOUT:
        _, _, waiting, _, _ = tally(database)
        if waiting == 0:
            return time.monotonic() - started
        if not alive():
            break
        time.sleep(0.25)
    return time.monotonic() - started


def run_pool(template: Path, workdir: Path, workers: int) -> Outcome:
    """One app's pool of `workers` threads works the queue."""
    database = workdir / f"pool-{workers}.db"
    shutil.copy(template, database)
    app = create_app(settings(database, JOB_WORKERS=workers))
    started = time.monotonic()
    jobs.queue.state_of(app).pool.start_in_this_process()
    try:
        seconds = wait_until_finished(database, started)
    finally:
        jobs.stop(app)
        with app.app_context():
            db.engine().dispose()
    return Outcome(f"in-process pool, JOB_WORKERS={workers}", seconds, *tally(database))


def run_rq(template: Path, workdir: Path, workers: int, redis_url: str, queue: str) -> Outcome:
    """`workers` burst worker processes work the jobs handed to RQ."""
    database = workdir / f"rq-{workers}.db"
    shutil.copy(template, database)
    app = create_app(settings(database, REDIS_URL=redis_url, JOB_QUEUE_NAME=queue))
    handed = jobs.recover(app)  # every queued job onto RQ, as a worker's start does
    with app.app_context():
        db.engine().dispose()
    env = {key: value for key, value in os.environ.items() if key not in config.PARSERS}
    env.update(
        {key: str(value).lower() if isinstance(value, bool) else str(value)
         for key, value in settings(database, REDIS_URL=redis_url, JOB_QUEUE_NAME=queue).items()}
    )  # fmt: skip
    command = [str(VENV_BIN / "flask"), "--app", "wsgi", "worker", "--burst"]
    logs = [open(workdir / f"rq-{workers}-{n}.log", "wb") for n in range(workers)]  # noqa: SIM115
    started = time.monotonic()
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        for log in logs
    ]
    try:
        seconds = wait_until_finished(
            database, started, alive=lambda: any(p.poll() is None for p in processes)
        )
    finally:
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            if process.poll() is None:
                process.terminate()
                process.wait()
        for log in logs:
            log.close()
    if handed == 0:
        raise RuntimeError("no job was handed to RQ")
    return Outcome(f"RQ, {workers} worker process(es)", seconds, *tally(database))


def remove_queue(redis_url: str, queue: str) -> None:
    """The run's queue, its jobs, registries and workers' keys: all named after it."""
    connection = redis.Redis.from_url(redis_url)
    Queue(queue, connection=connection).delete(delete_jobs=True)
    for key in connection.scan_iter(match=f"*{queue}*", count=1000):
        connection.delete(key)


def redis_reachable(redis_url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def report(outcomes: list[Outcome], count: int, delay: float) -> None:
    print()
    print(
        f"{count:,} webmentions, each source served after {delay * 1000:g} ms; "
        f"{os.cpu_count()} CPUs; SQLite."
    )
    print(
        "Seconds and verif./s: from the start (processes' start-up included); steady: from "
        "the first verification done to the last."
    )
    print(f"| {'configuration':<32} | {'seconds':>7} | {'verif./s':>8} | {'steady/s':>8} | "
          "done  | failed | unfinished | verified |")  # fmt: skip
    print(f"|{'-' * 34}|{'-' * 9}|{'-' * 10}|{'-' * 10}|-------|--------|------------|----------|")
    for outcome in outcomes:
        print(
            f"| {outcome.name:<32} | {outcome.seconds:7.1f} | {outcome.rate:8.1f} | "
            f"{outcome.steady_rate:8.1f} | {outcome.done:5} | {outcome.failed:6} | "
            f"{outcome.waiting:10} | {outcome.verified:8} |"
        )
    rq = {outcome.name: outcome for outcome in outcomes if outcome.name.startswith("RQ")}
    one, four = rq.get("RQ, 1 worker process(es)"), rq.get("RQ, 4 worker process(es)")
    if one and four and one.rate and one.steady_rate:
        ratio, steady = four.rate / one.rate, four.steady_rate / one.steady_rate
        verdict = "PASS" if steady >= RQ_TARGET else "FAIL"
        print(
            f"\n4 RQ workers / 1 RQ worker: {steady:.2f}x steady ({ratio:.2f}x with start-up), "
            f"target >= {RQ_TARGET:g}x: {verdict}"
        )
    lost = [o.name for o in outcomes if o.waiting or o.done + o.failed != count]
    if lost:
        print(f"WARNING: not every job finished in: {', '.join(lost)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=2000)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds each source waits")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--quick", action="store_true", help="a check that it runs: 100 webmentions"
    )
    args = parser.parse_args()
    if args.quick:
        args.mentions = 100
    Source.delay = args.delay
    server = Sources(("127.0.0.1", 0), Source)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    workdir = Path(tempfile.mkdtemp(prefix="moderation-linkbacks-"))
    queue = f"bench-linkbacks-{secrets.token_hex(4)}"
    outcomes: list[Outcome] = []
    try:
        template = workdir / "queued.db"
        started = time.monotonic()
        queue_mentions(template, f"http://127.0.0.1:{server.server_port}", args.mentions)
        print(f"{args.mentions:,} webmentions queued in {time.monotonic() - started:.1f} s")
        for workers in POOL_SIZES:
            outcomes.append(run_pool(template, workdir, workers))
            print(f"  {outcomes[-1].name}: {outcomes[-1].rate:.1f} verifications/s", flush=True)
        if redis_reachable(args.redis):
            try:
                for workers in RQ_WORKERS:
                    outcomes.append(run_rq(template, workdir, workers, args.redis, queue))
                    print(
                        f"  {outcomes[-1].name}: {outcomes[-1].rate:.1f} verifications/s",
                        flush=True,
                    )
            finally:
                remove_queue(args.redis, queue)
        else:
            print(f"Redis is not reachable at {args.redis}: the RQ runs are skipped.")
        report(outcomes, args.mentions, args.delay)
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        server.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
