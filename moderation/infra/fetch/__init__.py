"""Fetch a linkback's source page safely (SPEC §3 (Linkbacks): public addresses only, one
total deadline, a byte cap after decompression), and POST a webhook's body under the same
rules (issue 14): the only importer of requests.

A source URL is chosen by whoever sends the ping, so every fetch is treated as hostile:

- GET only, http and https only, on ports 80, 443 and 8080 only.
- The host is resolved once per hop, every address it resolves to must be public, and the
  connection goes to one of those vetted addresses: no second lookup that DNS rebinding could
  point elsewhere. The Host header, TLS SNI and the certificate check keep the host name.
- Redirects are followed here, at most `max_redirects`, each hop vetted again.
- One wall-clock deadline covers the lookups, connects, TLS handshakes, headers and bodies of
  all hops, so a server that trickles a byte a second cannot hold a fetch.
- At most `max_bytes` of the body are read, counted after decompression; the connection is
  closed at the cap and the rest is never read.

`allow_private` lifts the address and port rules, and nothing else (tests only).

A webhook's POST (`post`) is held to the same address, port and deadline rules, but follows
no redirect (a receiver that moved is told by its status) and never reads the answer's body:
its status is all a delivery needs.
"""

import codecs
import contextlib
import http.client
import ipaddress
import re
import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.utils import DEFAULT_ACCEPT_ENCODING
from urllib3.exceptions import DecodeError, NewConnectionError

from moderation.infra.fetch import pinned

SERVICE = "moderation/0.1"
ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.8, */*;q=0.1"
ALLOWED_PORTS = (80, 443, 8080)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
READ_CHUNK = 64 * 1024  # decoded bytes asked of urllib3 at a time: bounds a gzip bomb's output

_IPv4 = ipaddress.IPv4Address
_IPv6 = ipaddress.IPv6Address
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Refused whatever this Python's is_global says (its tables differ between patch releases).
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(network)
    for network in (
        "100.64.0.0/10",  # carrier-grade NAT
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "198.51.100.0/24",
        "203.0.113.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "2001:db8::/32",  # documentation
        "3fff::/20",
        "fc00::/7",  # unique local
        "fec0::/10",  # site-local
    )
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Limits:
    timeout: float  # seconds: one deadline for the whole fetch, redirects included
    max_bytes: int  # most body bytes read, counted after decompression
    max_redirects: int  # redirects followed, each hop vetted again
    allow_private: bool  # lifts the address and port rules, and nothing else (tests only)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Limits":
        """Read the limits from the app's config (SPEC §2 (Configuration): the
        LINKBACK_FETCH_TIMEOUT, _MAX_BYTES, _MAX_REDIRECTS and _ALLOW_PRIVATE_HOSTS keys)."""
        return cls(
            timeout=float(config["LINKBACK_FETCH_TIMEOUT"]),
            max_bytes=int(config["LINKBACK_MAX_BYTES"]),
            max_redirects=int(config["LINKBACK_MAX_REDIRECTS"]),
            allow_private=bool(config["LINKBACK_ALLOW_PRIVATE_HOSTS"]),
        )


@dataclass(frozen=True)
class Page:
    url: str  # final URL, after redirects
    status: int  # final status; 4xx and 5xx are pages too, callers decide
    media_type: str  # lowercased, without parameters; "" when absent
    charset: str | None  # from the Content-Type header, lowercased
    body: bytes  # at most max_bytes decoded bytes
    truncated: bool  # True when the cap stopped the read before the end of the body was seen

    def text(self) -> str:
        """Decode the body: BOM, header charset, <meta> charset in 1 KiB of HTML, else UTF-8."""
        for prefix, encoding in _BOMS:
            if self.body.startswith(prefix):
                return self.body.decode(encoding, errors="replace")
        for encoding in (self.charset, self._declared_charset()):
            if encoding:
                with contextlib.suppress(LookupError):  # an unknown or non-text codec
                    return self.body.decode(encoding, errors="replace")
        return self.body.decode("utf-8", errors="replace")

    def _declared_charset(self) -> str | None:
        if self.media_type not in HTML_TYPES:
            return None
        match = _META_CHARSET.search(self.body[:1024])
        return match.group(1).decode("ascii").lower() if match else None


class FetchError(Exception):
    """The source could not be fetched (or the webhook reached); str(error) is a short reason
    fit to show the sender (or an administrator)."""


class NotAllowed(FetchError):
    """The address or port is one we never connect to (see allow_private): nothing was sent."""


@dataclass(frozen=True)
class _Peer:
    """Whom one fetch or POST goes to: how its reasons name it, and the rules it is held to."""

    name: str  # "the source", "the receiver"
    timeout: float
    allow_private: bool


def user_agent(caller_ip: str) -> str:
    """Name the service and the caller who asked for the fetch, so the source can tell who."""
    try:
        caller = str(ipaddress.ip_address(caller_ip))
    except ValueError:  # never let a strange value reach a header
        caller = "an unknown address"
    return f"{SERVICE} (linkback verification; requested by {caller})"


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Tell whether an address is on the public internet (SPEC §3 (Linkbacks): sources are
    fetched from public addresses only)."""
    if isinstance(address, _IPv6):
        if address.ipv4_mapped is not None:
            return False
        # 6to4 and NAT64 reach the IPv4 address they embed: judge that one.
        embedded = address.sixtofour
        if address in _NAT64:
            embedded = _IPv4(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not any(address in network for network in _NOT_PUBLIC)
    )


def fetch(url: str, limits: Limits, *, user_agent: str) -> Page:
    """GET a source page within `limits`, following vetted redirects; FetchError otherwise."""
    peer = _Peer("the source", limits.timeout, limits.allow_private)
    deadline = pinned.Deadline(limits.timeout)
    headers = {
        "User-Agent": user_agent,
        "Accept": ACCEPT,
        "Accept-Encoding": DEFAULT_ACCEPT_ENCODING,
    }
    try:
        for _hop in range(limits.max_redirects + 1):
            with _send("GET", url, headers, None, peer, deadline) as response:
                location = response.headers.get("Location")
                if response.status_code not in REDIRECT_STATUSES or not location:
                    return _page(response, limits, deadline)
                url = urljoin(response.url, _header_text(location.strip()))
        raise FetchError(f"too many redirects (more than {limits.max_redirects})")
    except FetchError:
        raise
    except _NETWORK_ERRORS as error:  # anything else the network stack raised
        raise FetchError(_failure(error, peer, deadline)) from error


def post(
    url: str, body: bytes, headers: Mapping[str, str], *, timeout: float, allow_private: bool
) -> int:
    """POST `body` once to a vetted address within `timeout` seconds, following no redirect;
    return the answer's status, its body unread; FetchError otherwise."""
    peer = _Peer("the receiver", timeout, allow_private)
    deadline = pinned.Deadline(timeout)
    try:
        with _send("POST", url, headers, body, peer, deadline) as response:
            return response.status_code
    except _NETWORK_ERRORS as error:
        raise FetchError(_failure(error, peer, deadline)) from error


@contextlib.contextmanager
def _send(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    peer: _Peer,
    deadline: pinned.Deadline,
) -> Iterator[requests.Response]:
    """Vet one hop, send its request to the vetted address, and close everything afterwards."""
    try:
        parts = urlsplit(url)
        scheme, port = parts.scheme.lower(), parts.port  # requests would read port 0 as none
    except ValueError:
        raise FetchError("not a valid URL") from None
    if scheme not in ("http", "https"):
        raise FetchError("not an http(s) URL")
    try:
        request = requests.Request(method, url, headers=dict(headers), data=body).prepare()
        host = urlsplit(request.url).hostname  # lowercased, IDNA-encoded, without brackets
    except (requests.RequestException, ValueError):
        raise FetchError("not a valid URL") from None
    if not host:
        raise FetchError("not a valid URL")
    if port is None:
        port = 443 if scheme == "https" else 80
    if not peer.allow_private and port not in ALLOWED_PORTS:  # before any lookup
        raise NotAllowed(f"port {port} is not allowed (80, 443, 8080 only)")
    addresses = _resolve(host, port, deadline, peer)
    if not peer.allow_private and not all(
        is_public_address(ipaddress.ip_address(sockaddr[0])) for _family, sockaddr in addresses
    ):
        raise NotAllowed(f"{peer.name}'s address is not public")
    pool_class = pinned.PinnedHTTPSPool if scheme == "https" else pinned.PinnedHTTPPool
    adapter = pinned.PinnedAdapter(pool_class(host, port, addresses=addresses, deadline=deadline))
    try:
        try:
            response = adapter.send(request, stream=True, timeout=deadline.remaining())
        except requests.RequestException as error:
            raise FetchError(_failure(error, peer, deadline)) from error
        with contextlib.closing(response):
            yield response
    finally:
        adapter.close()


def _resolve(
    host: str, port: int, deadline: pinned.Deadline, peer: _Peer
) -> list[tuple[int, tuple[Any, ...]]]:
    """Look the host up once; in a thread of its own, so that slow DNS meets the deadline too."""
    outcome: list[Any] = []

    def look_up() -> None:
        try:
            outcome.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except Exception as error:  # handed to the fetching thread, which raises it
            outcome.append(error)

    lookup = threading.Thread(target=look_up, name="fetch-lookup", daemon=True)
    lookup.start()
    lookup.join(deadline.remaining())
    if not outcome:
        raise FetchError(_timeout_reason(peer))
    if isinstance(outcome[0], OSError | UnicodeError):
        raise FetchError(f"{peer.name}'s host name could not be resolved")
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    addresses: dict[tuple[Any, ...], int] = {}
    for family, _type, _proto, _name, sockaddr in outcome[0]:
        if family in (socket.AF_INET, socket.AF_INET6):
            addresses.setdefault(sockaddr, family)
    if not addresses:
        raise FetchError(f"{peer.name}'s host name could not be resolved")
    return [(family, sockaddr) for sockaddr, family in addresses.items()]


def _page(response: requests.Response, limits: Limits, deadline: pinned.Deadline) -> Page:
    media_type, _, parameters = response.headers.get("Content-Type", "").partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower() or None
    raw = response.raw
    body = bytearray()
    while len(body) < limits.max_bytes:
        deadline.remaining()  # between chunks as well as inside every socket read
        # urllib3 decodes at most the amount asked for; the rest stays compressed.
        chunk = raw.read(min(READ_CHUNK, limits.max_bytes - len(body)), decode_content=True)
        if not chunk:
            break
        body += chunk
    # At the cap the end has been seen only if the socket said so and nothing was decoded.
    ended = len(body) < limits.max_bytes or (
        raw.isclosed() and not response.headers.get("Content-Encoding")
    )
    return Page(
        url=response.url,
        status=response.status_code,
        media_type=media_type.strip().lower(),
        charset=charset,
        body=bytes(body),
        truncated=not ended,
    )


def _header_text(value: str) -> str:
    """Undo http.client's latin-1 reading of a header sent as UTF-8, as browsers read it."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _timeout_reason(peer: _Peer) -> str:
    return f"{peer.name} took longer than {peer.timeout:g} seconds"


def _failure(error: BaseException, peer: _Peer, deadline: pinned.Deadline) -> str:
    """A short reason for a network failure; never the exception's text, which may hold an IP."""
    if deadline.passed:
        return _timeout_reason(peer)
    cause = error.args[0] if isinstance(error, requests.RequestException) and error.args else error
    cause = getattr(cause, "reason", cause)  # urllib3's MaxRetryError wraps the real one
    if isinstance(error, requests.exceptions.SSLError | urllib3.exceptions.SSLError):
        return f"the TLS connection to {peer.name} failed"
    if isinstance(cause, NewConnectionError):
        return f"could not connect to {peer.name}"
    if isinstance(error, DecodeError):
        return f"{peer.name}'s compressed content is corrupt"
    if isinstance(error, requests.RequestException):
        return f"{peer.name} did not answer with a valid HTTP response"
    return f"{peer.name}'s response broke off"


_NETWORK_ERRORS = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,  # TimeoutError, ssl.SSLError, ConnectionError...
    ValueError,  # UnicodeError, urllib3's LocationParseError...
)
