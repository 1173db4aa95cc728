"""Serve the example blog of this folder on an origin of its own, as `make run` does.

Its pages name the comments service http://127.0.0.1:5000 and the blog itself
http://127.0.0.1:5001, as a blog's HTML would; served for other addresses, those are
written in their place. Each answer carries a strict Content-Security-Policy, the one a
blog that embeds the comments needs (README, "Put comments on your blog"), which shows
that embed.js asks for nothing more.

    python examples/blog/serve.py --port 5001 --comments http://127.0.0.1:5000
"""

import argparse
import contextlib
import functools
import os
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
WRITTEN_COMMENTS = "http://127.0.0.1:5000"
WRITTEN_BLOG = "http://127.0.0.1:5001"


def content_security_policy(comments: str) -> str:
    """What a page embedding the comments must allow: the script, its API calls and the
    avatars it shows from the service, and the service's frame for readers without
    scripts. No 'unsafe-inline' anywhere."""
    return (
        f"default-src 'self'; script-src 'self' {comments}; connect-src {comments}; "
        f"img-src 'self' {comments}; frame-src {comments}; style-src 'self'; "
        "object-src 'none'; base-uri 'none'"
    )


class BlogHandler(SimpleHTTPRequestHandler):
    """The pages and stylesheet of this folder; the pages with the addresses they are served
    at."""

    comments = WRITTEN_COMMENTS
    blog = WRITTEN_BLOG

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", content_security_policy(self.comments))
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".css":
            return super().send_head()
        if path.suffix != ".html" or not path.is_file():
            self.send_error(404)  # serve.py itself is no page of the blog
            return None
        html = path.read_text(encoding="utf-8")
        for written, actual in ((WRITTEN_COMMENTS, self.comments), (WRITTEN_BLOG, self.blog)):
            html = html.replace(written, actual).replace(
                quote(written, safe=""), quote(actual, safe="")
            )
        body = html.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None

    def log_message(self, format: str, *args: object) -> None:
        pass  # the comments service's log is the one to read


def stop_with(pid: int) -> None:
    """Exit once the process `pid` (make) has ended, so no server outlives `make run`."""
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--comments", default=WRITTEN_COMMENTS, help="the comments service")
    parser.add_argument("--stop-with", type=int, help="exit when this process ends")
    args = parser.parse_args()
    handler = type(
        "Handler",
        (BlogHandler,),
        {"comments": args.comments.rstrip("/"), "blog": f"http://{args.host}:{args.port}"},
    )
    server = ThreadingHTTPServer(
        (args.host, args.port), functools.partial(handler, directory=str(HERE))
    )
    if args.stop_with:
        threading.Thread(target=stop_with, args=(args.stop_with,), daemon=True).start()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C in `make run`'s terminal
        server.serve_forever()


if __name__ == "__main__":
    main()
