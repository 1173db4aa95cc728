"""Peak memory and speed of `flask import wordpress` on a large generated WXR file.

Run from the repo root: `.venv/bin/python bench/import_memory.py` (or `make bench-import`).

1. Writes a WXR 1.2 file, as WordPress's exporter does, of about --megabytes MB (200 by
   default) into a temporary folder: posts of --per-post comments each, every third one
   a reply, with a pingback and a trackback per post, and statuses of every kind.
2. Migrates a fresh database (a temporary SQLite file, or --database-url: a PostgreSQL
   database this script creates and drops beside the one named), then runs
   `flask --app wsgi import wordpress FILE` in a child process, as a user would.
3. Prints the file's size, the entries imported, the time taken and the children's peak
   resident memory (ru_maxrss, in MB of 10^6 bytes) against issue 15's target: under 150 MB.

Exit status is 0 whatever the verdict (a measurement, not a test); 1 if the import
itself failed. Temporary files and databases are removed on every exit path.
"""

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from own_database import postgres_database  # bench/, beside this script

TARGET_MB = 150
ROOT = Path(__file__).resolve().parent.parent

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>

<channel>
	<title>Bench Blog</title>
	<link>https://blog.bench</link>
	<description>Just another WordPress site</description>
	<pubDate>Thu, 03 Dec 2026 12:00:00 +0000</pubDate>
	<language>en-US</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>https://blog.bench</wp:base_site_url>
	<wp:base_blog_url>https://blog.bench</wp:base_blog_url>
"""

FOOTER = """</channel>
</rss>
"""

TEXT = (
    "Thanks for writing this up. I tried the second approach on my own blog and the "
    "difference was clear within a week; the numbers matched yours almost exactly.\n\n"
    "One question: did you measure it with the cache warm or cold? On my host the first "
    "request after a deploy takes much longer, and I wonder whether that skews the "
    "median. Either way, <em>great</em> post &amp; thanks again. "
)
STATUSES = ("1", "1", "1", "1", "0", "spam", "trash")


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def comment(number: int, post: int, parent: int, kind: str, when: datetime) -> str:
    """One <wp:comment>, laid out as WordPress's exporter writes it."""
    if kind:
        author, url, body = (
            f"Other Blog {number}",
            f"https://other{number % 997}.example/links/{number}/",
            f"[&#8230;] a link to post {post} [&#8230;]",
        )
    else:
        author, url, body = f"Reader {number % 2000}", f"https://reader{number}.example/", TEXT
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    email, ip = f"reader{number % 2000}@mail.example", f"203.0.{number % 250}.{number % 200 + 1}"
    return f"""		<wp:comment>
			<wp:comment_id>{number}</wp:comment_id>
			<wp:comment_author>{cdata(author)}</wp:comment_author>
			<wp:comment_author_email>{cdata(email)}</wp:comment_author_email>
			<wp:comment_author_url>{escape(url)}</wp:comment_author_url>
			<wp:comment_author_IP>{cdata(ip)}</wp:comment_author_IP>
			<wp:comment_date>{cdata(stamp)}</wp:comment_date>
			<wp:comment_date_gmt>{cdata(stamp)}</wp:comment_date_gmt>
			<wp:comment_content>{cdata(body)}</wp:comment_content>
			<wp:comment_approved>{cdata(STATUSES[number % len(STATUSES)])}</wp:comment_approved>
			<wp:comment_type>{cdata(kind)}</wp:comment_type>
			<wp:comment_parent>{parent}</wp:comment_parent>
			<wp:comment_user_id>0</wp:comment_user_id>
		</wp:comment>
"""


def item(post: int, first_comment: int, per_post: int) -> str:
    """One post with its comments: every third a reply to the one before it."""
    when = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=post)
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    comments = []
    for offset in range(per_post):
        number = first_comment + offset
        kind = "pingback" if offset == 1 else "trackback" if offset == 2 else ""
        parent = number - 1 if offset % 3 == 0 and offset > 2 else 0
        comments.append(comment(number, post, parent, kind, when + timedelta(minutes=offset)))
    return f"""
	<item>
		<title>{cdata(f"Post number {post}")}</title>
		<link>https://blog.bench/{when:%Y/%m}/post-{post}/</link>
		<pubDate>{when:%a, %d %b %Y %H:%M:%S} +0000</pubDate>
		<dc:creator>{cdata("admin")}</dc:creator>
		<guid isPermaLink="false">https://blog.bench/?p={post}</guid>
		<description></description>
		<content:encoded>{cdata("<p>The article.</p>")}</content:encoded>
		<excerpt:encoded>{cdata("")}</excerpt:encoded>
		<wp:post_id>{post}</wp:post_id>
		<wp:post_date>{cdata(stamp)}</wp:post_date>
		<wp:post_date_gmt>{cdata(stamp)}</wp:post_date_gmt>
		<wp:comment_status>{cdata("open")}</wp:comment_status>
		<wp:ping_status>{cdata("open")}</wp:ping_status>
		<wp:post_name>{cdata(f"post-{post}")}</wp:post_name>
		<wp:status>{cdata("publish")}</wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>0</wp:menu_order>
		<wp:post_type>{cdata("post")}</wp:post_type>
		<wp:post_password>{cdata("")}</wp:post_password>
		<wp:is_sticky>0</wp:is_sticky>
		<category domain="category" nicename="uncategorized">{cdata("Uncategorized")}</category>
{"".join(comments)}	</item>
"""


def write_wxr(path: Path, megabytes: int, per_post: int) -> int:
    """Write the file, post by post, until it reaches the size; return the comments."""
    goal = megabytes * 1_000_000
    written = post = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        while handle.tell() < goal:
            post += 1
            handle.write(item(post, written + 1, per_post))
            written += per_post
        handle.write(FOOTER)
    return written


@contextlib.contextmanager
def database(url: str | None, folder: Path) -> Iterator[str]:
    """A fresh database: a SQLite file in the folder, or one beside the given server's."""
    if url is None:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    with postgres_database(url, "moderation_bench") as fresh:
        yield fresh


def flask(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *arguments]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200, help="size of the WXR file")
    parser.add_argument("--per-post", type=int, default=200, help="comments per post")
    parser.add_argument("--database-url", help="a PostgreSQL server's URL (default: SQLite)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="moderation-bench-") as name:
        folder = Path(name)
        wxr = folder / "export.xml"
        started = time.perf_counter()
        count = write_wxr(wxr, options.megabytes, options.per_post)
        size = wxr.stat().st_size / 1_000_000
        took = time.perf_counter() - started
        print(f"WXR file: {size:.0f} MB, {count:,} comments ({took:.0f} s to write)")
        with database(options.database_url, folder) as url:
            env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "JOB_WORKERS": "0"}
            upgrade = flask(env, "db", "upgrade")
            if upgrade.returncode:
                print(upgrade.stderr, file=sys.stderr)
                return 1
            started = time.perf_counter()
            result = flask(env, "import", "wordpress", str(wxr))
            elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1_000_000
        if result.returncode:
            print(result.stdout[-2000:], result.stderr[-2000:], sep="\n", file=sys.stderr)
            return 1
        print(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "")
        print(f"import: {elapsed:.0f} s, {count / elapsed:,.0f} comments/s")
        verdict = "pass" if peak < TARGET_MB else "FAIL"
        print(f"peak RSS of the import: {peak:.0f} MB (target < {TARGET_MB} MB): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
