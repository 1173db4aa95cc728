"""A real HTTP server on 127.0.0.1 that serves what a test writes and records every request.

Linkback tests point the fetcher at it: `source_server.page("/post", "<a href=...>")` returns
the URL to ping with. Custom behaviour (trickling, huge bodies, hanging) goes through
`handle()`; such handlers should wait on `stopping` rather than sleep, so that they end with
the test.
"""

import socketserver
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str  # as sent, query string included
    headers: Message  # case-insensitive: headers["user-agent"], "Cookie" in headers


class SourceServer:
    """A threaded HTTP server on 127.0.0.1 and a free port; pass `tls` to serve https."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()  # set when the server shuts down
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _RequestHandler)
        self._httpd.source = self
        if tls is not None:
            # The handshake happens on the first read, in the handler's thread.
            self._httpd.socket = tls.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self.port: int = self._httpd.server_address[1]
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one interval
            name=f"source-server-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base_url + path

    def page(
        self,
        path: str,
        body: str | bytes,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve `body` at `path` ("" content_type: no Content-Type header); return its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        extra = dict(headers or {})

        def respond(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            if content_type:
                handler.send_header("Content-Type", content_type)
            for name, value in extra.items():
                handler.send_header(name, value)
            if not any(name.lower() == "content-length" for name in extra):
                handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(data)

        return self.handle(path, respond)

    def redirect(self, path: str, location: str, *, status: int = 302) -> str:
        """Answer `path` with a redirect to `location`; return the URL of `path`."""
        return self.page(path, b"", status=status, content_type="", headers={"Location": location})

    def handle(self, path: str, handler: Handler) -> str:
        """Answer `path` (with or without its query) by calling `handler`; return its URL."""
        with self._lock:
            self._routes[path] = handler
        return self.url(path)

    def paths(self) -> list[str]:
        with self._lock:
            return [recorded.path for recorded in self.requests]

    def close(self) -> None:
        """Stop serving; handlers still running see `stopping` and their closed sockets."""
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> "SourceServer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(Recorded(handler.command, handler.path, handler.headers))
            route = self._routes.get(handler.path) or self._routes.get(urlsplit(handler.path).path)
        handler.close_connection = True  # one request per connection keeps tests simple
        if route is None:
            handler.send_error(404)
        else:
            route(handler)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still trickling must not hold up shutdown
    source: SourceServer

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look up our own name (getfqdn): slow, and a DNS call.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        # Clients that hang up mid-response are what many fetch tests are about.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError | ssl.SSLError):
            super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_GET(self) -> None:
        self.server.source._dispatch(self)

    do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def source_server() -> Iterator[SourceServer]:
    """A source server for one test, shut down after it."""
    with SourceServer() as server:
        yield server
