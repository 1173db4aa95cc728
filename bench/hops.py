"""How many of the package's files, and how many hops between them, two use cases take.

Run from the repo root: `.venv/bin/python bench/hops.py`. It traces, with
sys.setprofile, the package's own functions while:

1. a reader posts a comment: the form the post page rendered, sent through the test
   client (the request alone is traced, not the page before it);
2. the job verifies a webmention whose source a local HTTP server serves.

A file counts when one of its functions runs; a hop is a direct call from a function of
one file to a function of another (not Flask, SQLAlchemy or WTForms calling back into
ours), each distinct caller and callee pair counted once. It
prints the files and the hops of each, then their counts.
"""

import sys
import tempfile
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bs4 import BeautifulSoup
from sqlalchemy import select

import moderation
from moderation import create_app
from moderation.infra import db, jobs
from moderation.infra.models import Entry, Mention
from moderation.rules.statuses import Status
from moderation.services import posts

PACKAGE = str(Path(moderation.__file__).resolve().parent)


class Trace:
    """The package's functions that ran, and the calls between its files."""

    def __init__(self) -> None:
        self.files: set[str] = set()
        self.hops: set[tuple[str, str]] = set()

    def __call__(self, frame, event: str, _arg) -> None:
        if event != "call":
            return
        callee = frame.f_code.co_filename
        if not _ours(frame):
            return
        self.files.add(_short(callee))
        caller = frame.f_back  # direct calls only: not Flask or SQLAlchemy calling us back
        if caller is not None and _ours(caller) and caller.f_code.co_filename != callee:
            self.hops.add((_name(caller), _name(frame)))

    def run(self, action: Callable[[], object]) -> object:
        sys.setprofile(self)
        try:
            return action()
        finally:
            sys.setprofile(None)

    def report(self, title: str) -> None:
        print(f"{title}: {len(self.files)} files, {len(self.hops)} hops")
        for file in sorted(self.files):
            print(f"    {file}")
        for caller, callee in sorted(self.hops):
            print(f"    {caller} -> {callee}")


def _ours(frame) -> bool:
    return frame.f_code.co_filename.startswith(PACKAGE)


def _short(path: str) -> str:
    return path.removeprefix(PACKAGE + "/")


def _name(frame) -> str:
    return f"{_short(frame.f_code.co_filename)}:{frame.f_code.co_name}"


class Source(BaseHTTPRequestHandler):
    """A page that links to the target: the webmention's source."""

    target = ""

    def do_GET(self) -> None:
        body = f'<html><title>A reply</title><p><a href="{self.target}">Nice</a></p>'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        return


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{folder}/hops.db",
                "SECRET_KEY": "hops",
                "SITE_URL": "http://blog.test",
                "JOB_WORKERS": 0,
                "COMMENT_FORM_MIN_SECONDS": 0,
                "LINKBACK_ALLOW_PRIVATE_HOSTS": True,
            }
        )
        with app.app_context():
            db.upgrade(db.engine())
            session = db.get_session()
            posts.create_post(session, "hops", "Hops")
            session.commit()
        client = app.test_client()
        page = client.get("/posts/hops/")
        form = BeautifulSoup(page.text, "html.parser").select_one("form.comment-form")
        fields = {
            field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")
        }
        fields.update(comment="Hello", name="Ann", email="ann@example.org")
        comment = Trace()
        answer = comment.run(lambda: client.post(form["action"], data=fields))
        assert answer.status_code == 303, answer.status_code
        comment.report("Posting a comment")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Source)
        Source.target = "http://blog.test/posts/hops/"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        source = f"http://127.0.0.1:{server.server_port}/reply"
        sent = client.post("/webmention", data={"source": source, "target": Source.target})
        assert sent.status_code == 201, sent.status_code
        verify = Trace()
        ran = verify.run(lambda: jobs.run_due_jobs(app))
        server.shutdown()
        with app.app_context():
            session = db.get_session()
            mention = session.scalars(select(Mention)).one()
            assert ran == 1 and mention.entry_id is not None, mention.reason
            assert session.get(Entry, mention.entry_id).status == Status.PENDING
        verify.report("Verifying a webmention")


if __name__ == "__main__":
    main()
