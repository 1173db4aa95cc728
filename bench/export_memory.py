"""Peak memory and speed of `flask export` on a large queue.

Run from the repo root: `.venv/bin/python bench/export_memory.py [--entries N]`.

1. Migrates a temporary SQLite database and fills it with --entries entries (200,000 by
   default; 400-character bodies) over 200 posts, in bulk.
2. Runs `flask --app wsgi export --format F --output FILE` in a child process, as a user
   would, for each format.
3. Prints the file's size, the time taken and the child's peak resident memory (ru_maxrss,
   in MB). The export streams, so the memory stays flat whatever the queue's size.

A measurement, not a test: the exit status is 0 unless an export failed. Temporary files
are removed on every exit path.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moderation import create_app  # noqa: E402 (after the path)
from moderation.infra import db  # noqa: E402
from moderation.infra.models import Entry, Post, utcnow  # noqa: E402
from moderation.rules.statuses import EntryType, Status  # noqa: E402

POSTS = 200
BATCH = 10_000


def fill(url: str, entries: int) -> None:
    """Posts and entries, inserted in bulk."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "JOB_WORKERS": 0})
    with app.app_context():
        db.upgrade(db.engine())
        session = db.get_session()
        now = utcnow()
        rows = [{"slug": f"post-{n}", "title": f"Post {n}", "created": now} for n in range(POSTS)]
        post_ids = list(session.scalars(insert(Post).returning(Post.id), rows))
        for start in range(0, entries, BATCH):
            session.execute(
                insert(Entry),
                [
                    {
                        "post_id": post_ids[number % POSTS],
                        "type": EntryType.COMMENT,
                        "status": Status.APPROVED,
                        "reason": "bench",
                        "author": f"Reader {number}",
                        "email": f"reader{number}@example.net",
                        "body": "x" * 400,
                        "body_html": f"<p>{'x' * 400}</p>",
                        "ip_address": "192.0.2.1",
                        "user_agent": "bench",
                        "created": now - timedelta(seconds=number),
                        "updated": now,
                    }
                    for number in range(start, min(entries, start + BATCH))
                ],
            )
            session.commit()
        db.engine().dispose()


def export(url: str, export_format: str, output: Path) -> None:
    env = {**os.environ, "DATABASE_URL": url, "SITE_URL": "https://bench.example"}
    started = time.monotonic()
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "export"]
    command += ["--format", export_format, "--output", str(output)]
    subprocess.run(command, cwd=ROOT, env=env, check=True, stderr=subprocess.DEVNULL)
    took = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1000  # kB → MB
    size = output.stat().st_size / 1e6
    print(f"{export_format:>5}: {size:.0f} MB written in {took:.1f} s; peak memory {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        fill(url, arguments.entries)
        print(f"{arguments.entries} entries over {POSTS} posts")
        for export_format in ("wxr", "jsonl"):
            try:
                export(url, export_format, Path(folder) / f"export.{export_format}")
            except subprocess.CalledProcessError:
                sys.exit(f"flask export --format {export_format} failed")


if __name__ == "__main__":
    main()
