"""Where our comment POST spends its time beyond the same-stack ceiling (issue 16).

Run from the repo root: `.venv/bin/python bench/profile_post.py [--posts 2000]`.

1. Migrates a temporary SQLite database and seeds a post with 200 approved comments
   (bench/run.py's seed_post), then copies it for bench/same_stack.py.
2. For each app (ours, CSRF on, flood rule and rate limits off; and the same-stack
   ceiling), fetches the form's page with the test client (its cookie jar keeps the
   session) and sends --posts comments, each with the form's hidden fields and a text of
   its own: first timed with no profiler (ms per POST, in process: no server, no
   network), then as many again under cProfile.
3. Prints both timings and their ratio, then the functions of our POST by cumulative
   time, in ms per POST under the profiler, beside the ceiling's time in the same
   function ("-" where the ceiling never calls it): what ours spends beyond it.
"""

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bs4 import BeautifulSoup

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import run  # noqa: E402 (bench/run.py: the seeding and the typed comment)

from moderation import create_app  # noqa: E402
from moderation.infra import db  # noqa: E402
from moderation.services import sites  # noqa: E402
from moderation.web.forms import form_stamp  # noqa: E402

SLUG = "bench-200"
ORIGIN = {"Origin": "http://localhost"}  # the test client's address
PACKAGE = str(BENCH.parent / "moderation")


def seed(app) -> None:
    """The benchmark's site and its 200-comment post."""
    with app.app_context():
        db.upgrade(db.engine())
        session = db.get_session()
        sites.add_site(session, run.SITE, "Benchmark blog")
        run.seed_post(session, SLUG, 200, run.random.Random(20261127))
        session.commit()


def poster(app, secret: str):
    """A function that sends the form of the post's page once more, as a browser would."""
    client = app.test_client()
    page = client.get(f"/posts/{SLUG}/")
    form = BeautifulSoup(page.text, "html.parser").select_one("form.comment-form")
    hidden = {tag["name"]: tag.get("value", "") for tag in form.select("input[type=hidden]")}
    if "shown" in hidden:
        hidden["shown"] = form_stamp(secret, time.time() - 60, SLUG)
    sent = 0

    def post() -> None:
        nonlocal sent
        sent += 1
        fields = {**hidden, **run.TYPED}
        fields["comment"] += f" #{sent}"
        # From the form's page, as a browser says (our form is taken from our pages alone).
        answer = client.post(f"/posts/{SLUG}/comments", data=fields, headers=ORIGIN)
        if answer.status_code != 303:
            raise RuntimeError(f"POST {sent}: {answer.status_code}\n{answer.text[:2000]}")

    return post


def measure(post, count: int) -> tuple[float, pstats.Stats]:
    """ms per POST unprofiled, then the profile of as many POSTs again."""
    started = time.perf_counter()
    for _ in range(count):
        post()
    ms = (time.perf_counter() - started) * 1000 / count
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(count):
        post()
    profile.disable()
    return ms, pstats.Stats(profile)


def short(key: tuple[str, int, str]) -> str:
    file, line, name = key
    for prefix in (str(BENCH.parent) + "/", *sys.path):
        if prefix and file.startswith(prefix):
            file = file.removeprefix(prefix).removeprefix("/")
            break
    return f"{file}:{line}({name})" if line else name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000, help="POSTs timed, and as many profiled")
    parser.add_argument("--top", type=int, default=45, help="functions listed")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="moderation-profile-"))
    try:
        ours_db, stack_db = folder / "ours.db", folder / "stack.db"
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{ours_db}",
                "SECRET_KEY": run.SECRET,
                "SITE_URL": "http://localhost",
                "RATELIMIT_ENABLED": False,
                "COMMENT_FLOOD_SECONDS": 0,
                "JOB_WORKERS": 0,
            }
        )
        app.instance_path = str(folder / "instance")
        seed(app)
        run.copy_database(ours_db, stack_db)
        os.environ.update(DATABASE_URL=f"sqlite:///{stack_db}", SECRET_KEY=run.SECRET)
        import same_stack  # noqa: PLC0415 (reads its database from the environment)

        ours_ms, ours = measure(poster(app, run.SECRET), args.posts)
        stack_ms, stack = measure(poster(same_stack.app, run.SECRET), args.posts)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.posts:,} POSTs each through the test client, unprofiled:")
    print(f"  ours        {ours_ms:6.2f} ms per POST")
    print(f"  same stack  {stack_ms:6.2f} ms per POST")
    print(
        f"  ours/stack throughput {stack_ms / ours_ms:.2f}x (the target is 0.9x through gunicorn)"
    )
    print()
    ours_total = ours.total_tt * 1000 / args.posts
    stack_total = stack.total_tt * 1000 / args.posts
    print(f"Under cProfile: ours {ours_total:.2f} ms, same stack {stack_total:.2f} ms per POST.")
    rows = sorted(ours.stats.items(), key=lambda item: item[1][3], reverse=True)
    print(f"Top {args.top} functions of ours by cumulative time (ms per POST, profiled):")
    table(rows[: args.top], stack.stats, args.posts)
    print()
    print("The package's own functions (moderation/) by cumulative time:")
    table([row for row in rows if row[0][0].startswith(PACKAGE)][: args.top], {}, args.posts)


def table(rows, ceiling: dict, posts: int) -> None:
    """ms per POST in each function (self: in its own code), the ceiling's beside it
    ("-": it never calls it)."""
    print(f"  {'ours':>7} {'self':>6} {'stack':>7} {'beyond':>7}  calls/POST  function")
    for key, (_, calls, tottime, cumtime, _) in rows:
        mine = cumtime * 1000 / posts
        theirs = ceiling[key][3] * 1000 / posts if key in ceiling else None
        shown = "-" if theirs is None else f"{theirs:7.2f}"
        print(
            f"  {mine:7.2f} {tottime * 1000 / posts:6.2f} {shown:>7} {mine - (theirs or 0):7.2f}"
            f"  {calls / posts:10.1f}  {short(key)}"
        )


if __name__ == "__main__":
    main()
