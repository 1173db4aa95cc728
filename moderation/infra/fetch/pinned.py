"""Connections that dial the addresses a fetch vetted, and read within its one deadline.

urllib3 would resolve the host again when it connects, and a second answer is what DNS
rebinding exploits; a per-read timeout alone lets a server that trickles one byte a
second hold a read loop forever. These classes close both gaps for fetch().
"""

import functools
import http.client
import io
import socket
import time
from typing import Any

import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError


class Deadline:
    """The single wall-clock deadline of one fetch."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self._end

    def remaining(self) -> float:
        """Seconds left; TimeoutError when there are none."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise TimeoutError("the fetch deadline has passed")
        return left


class _DeadlineReader(io.RawIOBase):
    """A socket's reads, each allowed only the time left before the fetch's deadline.

    A per-read timeout alone lets a server that trickles one byte a second hold a read loop
    forever; here every recv gets what remains, and none at all once the deadline has passed.
    """

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        super().__init__()
        self._sock = sock
        self._file = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(self._deadline.remaining())
        return self._file.readinto(buffer)

    def close(self) -> None:
        self._file.close()
        super().close()


class DeadlineResponse(http.client.HTTPResponse):
    """http.client's response reading its status line, headers and body through the deadline."""

    def __init__(self, sock: socket.socket, *args: Any, deadline: Deadline, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # the plain socket file http.client opened
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))


class _Pinned:
    """A urllib3 connection that dials the vetted addresses instead of looking the host up.

    urllib3 would resolve `host` again when it connects, and a second answer is what DNS
    rebinding exploits. So `_new_conn` connects to the addresses already checked, without even
    a numeric getaddrinfo, while `host` stays the name for the Host header, SNI and the
    certificate check. (Setting `_dns_host` instead would not do: in urllib3 2.x `host` reads
    it, so the Host header and SNI would become the IP.) The socket gets the time left for
    the connect, then again for the TLS handshake; `DeadlineResponse` does so for each read.
    """

    def __init__(
        self, *args: Any, addresses: list[tuple[int, Any]], deadline: Deadline, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._addresses = addresses
        self._deadline = deadline
        self.response_class = functools.partial(DeadlineResponse, deadline=deadline)

    def _new_conn(self) -> socket.socket:
        failure: OSError | None = None
        for family, sockaddr in self._addresses:  # in the resolver's order, as browsers do
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(self._deadline.remaining())
                sock.connect(sockaddr)
                sock.settimeout(self._deadline.remaining())  # what is left, for TLS
            except OSError as error:
                sock.close()
                failure = error
                continue
            return sock
        raise NewConnectionError(self, "could not connect to the source") from failure


class _PinnedHTTPConnection(_Pinned, urllib3.connection.HTTPConnection):
    pass


class _PinnedHTTPSConnection(_Pinned, urllib3.connection.HTTPSConnection):
    pass


class PinnedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class PinnedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """A requests adapter that sends one hop through its own pinned pool.

    The adapter is used without a Session on purpose: a Session would keep and send cookies
    between hops, and would honour proxy and .netrc settings from the environment (a proxy
    would resolve the host itself, defeating the pinning).
    """

    def __init__(self, pool: urllib3.HTTPConnectionPool) -> None:
        super().__init__(pool_connections=1, pool_maxsize=1)
        self._pool = pool

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        return self._pool

    def close(self) -> None:
        super().close()
        self._pool.close()
