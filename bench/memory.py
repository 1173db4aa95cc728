"""Peak RSS of one serving process after many page views over many posts (issue 16).

Run from the repo root: `.venv/bin/python bench/memory.py [--posts 1000] [--views 10000]`
(or `make bench-memory`).

1. Migrates a temporary SQLite database and seeds, through moderation.services, --posts
   posts with --comments (20) approved comments each (bench/run.py's seed_post: replies
   included). With --emoji each comment ends with an emoji, as many typed on a phone
   do: Python then keeps a page's HTML at 4 bytes a character, where ASCII takes one.
2. Serves the app (bench/app_wsgi.py) with gunicorn, one sync worker, and asks it for
   --views post pages, the posts in turn: every post's page rendered and offered to the
   rendered-thread cache (bounded at 32 MiB), then read again from it. With --api, every
   other view is the thread's JSON instead (its drawn pages share that cache).
3. Prints the worker's RSS, peak RSS (VmHWM in /proc/<pid>/status) and private memory
   (smaps_rollup: what it shares with no other process) every 1,000 views, then the peak
   RSS against the target: under 150 MB.
"""

import argparse
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import update

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import run  # noqa: E402 (bench/run.py: seeding, servers' environment)

from moderation import create_app  # noqa: E402
from moderation.infra import db  # noqa: E402
from moderation.infra.models import Entry  # noqa: E402
from moderation.services import sites  # noqa: E402

TARGET_MB = 150


def seed(url: str, count: int, comments: int, emoji: bool) -> None:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": run.SECRET, "JOB_WORKERS": 0})
    rng = random.Random(20261203)
    with app.app_context():
        db.upgrade(db.engine())
        session = db.get_session()
        sites.add_site(session, run.SITE, "Benchmark blog")
        for number in range(count):
            run.seed_post(session, f"post-{number}", comments, rng)
            session.commit()
        if emoji:
            # As typed on a phone. Before any page is rendered: no cached copy to go stale.
            session.execute(
                update(Entry).values(body_html=Entry.body_html + " \N{SLIGHTLY SMILING FACE}")
            )
            session.commit()
        db.engine().dispose()


def memory_kb(pid: int) -> dict[str, int]:
    """VmHWM (peak RSS) and VmRSS of a process, and its private memory (pages it shares
    with no other process, such as the gunicorn master it was forked from), in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            fields[name] = int(value.split()[0])
    fields["Private"] = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("Private_Clean", "Private_Dirty"):
            fields["Private"] += int(value.split()[0])
    return fields


def worker_pid(master: int) -> int:
    """The gunicorn master's one worker."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                rest = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(rest[1]) == master:
                return int(stat.parent.name)
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=20, help="approved comments per post")
    parser.add_argument("--views", type=int, default=10_000)
    parser.add_argument(
        "--api",
        action="store_true",
        help="every other view is the post's thread JSON (GET /api/v1/thread), as an "
        "embedding page asks for it; it shares the cache",
    )
    parser.add_argument(
        "--emoji",
        action="store_true",
        help="end every comment with an emoji: Python then keeps each rendered page at 4 "
        "bytes a character",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a check that it runs: 50 posts, 1,000 views"
    )
    args = parser.parse_args()
    if args.quick:
        args.posts, args.views = 50, 1000
    workdir = Path(tempfile.mkdtemp(prefix="moderation-memory-"))
    server = log = None
    try:
        database = workdir / "moderation.db"
        started = time.monotonic()
        seed(f"sqlite:///{database}", args.posts, args.comments, args.emoji)
        print(
            f"Seeded {args.posts:,} posts of {args.comments} approved comments"
            f"{', each ending with an emoji,' if args.emoji else ''} in "
            f"{time.monotonic() - started:.0f} s",
            flush=True,
        )
        port = run.free_port()
        env = run.server_env(database, run.SECRET, SITE_URL=f"http://127.0.0.1:{port}")
        command = [
            str(run.VENV_BIN / "gunicorn"),
            "--workers=1",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{port}",
            f"--chdir={BENCH}",
            "--log-level=warning",
            "app_wsgi:app",
        ]
        log = open(workdir / "server.log", "wb")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(command, cwd=run.ROOT, env=env, stdout=log, stderr=log)
        worker = worker_pid(server.pid)
        for _ in range(300):
            try:
                run.request(port, "/posts/post-0/")
                break
            except OSError:
                time.sleep(0.1)
        before = memory_kb(worker)
        print(
            f"Worker {worker} ready: RSS {before['VmRSS'] / 1024:.1f} MB, "
            f"private {before['Private'] / 1024:.1f} MB"
        )
        started = time.monotonic()
        for view in range(1, args.views + 1):
            slug = f"post-{view % args.posts}"
            api = args.api and view % 2
            answer = run.request(port, run.thread_path(slug) if api else f"/posts/{slug}/")
            if answer.status != 200:
                raise RuntimeError(f"view {view}: {answer.status}")
            if view % 1000 == 0 or view == args.views:
                now = memory_kb(worker)
                print(
                    f"  {view:>6,} views: RSS {now['VmRSS'] / 1024:6.1f} MB, "
                    f"peak {now['VmHWM'] / 1024:6.1f} MB, private {now['Private'] / 1024:6.1f} MB",
                    flush=True,
                )
        seconds = time.monotonic() - started
        peak = memory_kb(worker)["VmHWM"] / 1024
        verdict = "PASS" if peak < TARGET_MB else "FAIL"
        print()
        print(
            f"{args.views:,} {'page and thread JSON' if args.api else 'page'} views over "
            f"{args.posts:,} posts ({args.comments} comments each"
            f"{', with emoji' if args.emoji else ''}) in {seconds:.0f} s, one gunicorn sync "
            f"worker: peak RSS {peak:.1f} MB, "
            f"target < {TARGET_MB} MB: {verdict}"
        )
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if log is not None:
            log.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
