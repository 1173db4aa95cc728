"""The source fetcher (SPEC §3 Linkbacks) against a real HTTP server on 127.0.0.1.

Most tests fetch with allow_private=True, which lifts only the address and port rules: so they
also show that the scheme, redirect cap, deadline and size cap hold regardless. The address and
port rules are tested with allow_private=False, either on addresses that are refused before any
connection, or with 127.0.0.1 standing in for a public server (`public_loopback`).
"""

import gzip
import ipaddress
import socket
import ssl
import struct
import threading
import time
import tracemalloc
import zlib
from functools import cache

import pytest

from moderation.infra import fetch
from moderation.infra.fetch import FetchError, Limits, Page
from tests.certificates import self_signed
from tests.sources import SourceServer

MiB = 1024 * 1024
CALLER_AGENT = "moderation/0.1 (linkback verification; requested by 203.0.113.7)"
# Written out rather than imported: the tests check the words, not the module.
ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.8, */*;q=0.1"
NOT_PUBLIC = "the source's address is not public"


def get(url: str, **changes) -> Page:
    """Fetch with generous test limits, private hosts allowed unless a test says otherwise."""
    values = {"timeout": 5.0, "max_bytes": MiB, "max_redirects": 5, "allow_private": True}
    return fetch.fetch(url, Limits(**(values | changes)), user_agent=CALLER_AGENT)


def refusal(url: str, **changes) -> str:
    """The reason fetch() gives for refusing `url`; fails the test if it does not refuse."""
    with pytest.raises(FetchError) as refused:
        get(url, **changes)
    return str(refused.value)


@pytest.fixture
def public_loopback(monkeypatch, source_server):
    """Let 127.0.0.1 and the server's port stand in for a public server on an allowed port."""
    real = fetch.is_public_address
    monkeypatch.setattr(
        fetch,
        "is_public_address",
        lambda address: address == ipaddress.IPv4Address("127.0.0.1") or real(address),
    )
    monkeypatch.setattr(fetch, "ALLOWED_PORTS", (80, 443, 8080, source_server.port))
    return source_server


@pytest.fixture
def lookups(monkeypatch) -> list[tuple[str, int]]:
    """Record every socket.getaddrinfo call (host, port), still answered by the real one."""
    calls: list[tuple[str, int]] = []
    real = socket.getaddrinfo

    def spy(host, port, *args, **kwargs):
        calls.append((host, port))
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    return calls


@pytest.fixture
def failing_dns(monkeypatch) -> list[tuple[str, int]]:
    """A resolver that records its calls and knows no name: tests never touch real DNS."""
    calls: list[tuple[str, int]] = []

    def unknown(host, port, *args, **kwargs):
        calls.append((host, port))
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    return calls


def write_slowly(server: SourceServer, data: bytes, interval: float):
    """A handler writing `data` a byte at a time, `interval` seconds apart."""

    def handler(request):
        for byte in data:
            request.wfile.write(bytes([byte]))
            if server.stopping.wait(interval):
                return

    return handler


def headers_then(server: SourceServer, body_writer, **headers: str):
    """A handler sending a 200 with `headers`, then calling body_writer(wfile)."""

    def handler(request):
        request.send_response(200)
        for name, value in headers.items():
            request.send_header(name.replace("_", "-"), value)
        request.end_headers()
        body_writer(request.wfile)

    return handler


# A page and what the server saw


def test_a_page_is_fetched_with_its_status_type_charset_and_body(source_server):
    url = source_server.page("/post", "<p>Un café, s’il vous plaît.</p>")

    page = get(url)

    assert page == Page(
        url=url,
        status=200,
        media_type="text/html",
        charset="utf-8",
        body="<p>Un café, s’il vous plaît.</p>".encode(),
        truncated=False,
    )
    assert page.text() == "<p>Un café, s’il vous plaît.</p>"


def test_the_request_is_a_get_with_an_honest_user_agent_and_no_cookie(source_server):
    source_server.page("/final", "done")
    url = source_server.page(
        "/start", "", status=302, headers={"Location": "/final", "Set-Cookie": "session=abc"}
    )

    get(url)

    assert source_server.paths() == ["/start", "/final"]
    for recorded in source_server.requests:
        assert recorded.method == "GET"
        assert recorded.headers["User-Agent"] == CALLER_AGENT
        assert recorded.headers["Accept"] == ACCEPT
        assert "gzip" in recorded.headers["Accept-Encoding"]
        assert recorded.headers["Host"] == f"127.0.0.1:{source_server.port}"
        assert "Cookie" not in recorded.headers
        assert "Authorization" not in recorded.headers


@pytest.mark.parametrize(
    ("caller", "named"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8::7", "2001:db8::7"),
        ("", "an unknown address"),
        ("203.0.113.7\r\nX-Injected: 1", "an unknown address"),
    ],
)
def test_the_user_agent_names_the_service_and_the_caller(caller, named):
    assert fetch.user_agent(caller) == (
        f"moderation/0.1 (linkback verification; requested by {named})"
    )


@pytest.mark.parametrize(
    ("content_type", "media_type", "charset"),
    [
        ("text/plain", "text/plain", None),
        ("text/plain; charset=ISO-8859-1", "text/plain", "iso-8859-1"),
        ("application/json", "application/json", None),
        ("image/png", "image/png", None),
        ('Text/HTML; Charset="UTF-8"', "text/html", "utf-8"),
        ("", "", None),
    ],
)
def test_media_types_are_reported_as_sent(source_server, content_type, media_type, charset):
    url = source_server.page("/thing", b"\x89PNG or not", content_type=content_type)

    page = get(url)

    assert (page.media_type, page.charset, page.body) == (media_type, charset, b"\x89PNG or not")


@pytest.mark.parametrize("status", [404, 410, 500, 302])
def test_an_error_status_or_a_redirect_without_location_is_returned_as_a_page(
    source_server,
    status,
):
    url = source_server.page("/gone", "<p>No such page.</p>", status=status)

    page = get(url)

    assert (page.status, page.body) == (status, b"<p>No such page.</p>")


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
def test_a_compressed_page_is_decoded(source_server, encoding, compress):
    html = "<p>A link to <a href='https://example.org/'>us</a>.</p>" * 50
    url = source_server.page(
        "/post", compress(html.encode()), headers={"Content-Encoding": encoding}
    )

    assert get(url).text() == html


@pytest.mark.parametrize(
    ("body", "media_type", "charset", "text"),
    [
        ("café".encode("latin-1"), "text/html", "iso-8859-1", "café"),
        (
            '<meta charset="windows-1252"><p>café'.encode("cp1252"),
            "text/html",
            None,
            '<meta charset="windows-1252"><p>café',
        ),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">caf\xe9',
            "application/xhtml+xml",
            None,
            '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">café',
        ),
        (
            '<meta charset="latin-1">café'.encode(),
            "text/html",
            "utf-8",
            '<meta charset="latin-1">café',
        ),
        ("café".encode(), "text/html", None, "café"),
        (
            '<meta charset="latin-1">café'.encode(),
            "text/plain",
            None,
            '<meta charset="latin-1">café',
        ),
        ("café".encode(), "text/html", "no-such-charset", "café"),
        (b"caf\xff", "text/html", None, "caf\ufffd"),
        (b"\xef\xbb\xbfcaf\xc3\xa9", "text/html", "iso-8859-1", "café"),
    ],
    ids=[
        "header charset",
        "meta charset",
        "http-equiv",
        "header over meta",
        "utf-8 by default",
        "no sniffing outside html",
        "unknown header charset",
        "bad bytes replaced",
        "byte order mark first",
    ],
)
def test_text_is_decoded_by_header_then_meta_then_utf8(body, media_type, charset, text):
    page = Page("http://example.org/", 200, media_type, charset, body, False)

    assert page.text() == text


def test_the_meta_charset_is_sniffed_only_in_the_first_kib():
    body = b" " * 1024 + b'<meta charset="iso-8859-1">caf\xc3\xa9'

    assert Page("http://example.org/", 200, "text/html", None, body, False).text().endswith("café")


# Redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("location", ["/posts/final", "final", "{base}/posts/final"])
def test_relative_and_absolute_redirects_are_followed(source_server, status, location):
    final = source_server.page("/posts/final", "here")
    url = source_server.redirect(
        "/posts/start", location.format(base=source_server.base_url), status=status
    )

    page = get(url)

    assert (page.url, page.status, page.body) == (final, 200, b"here")
    assert source_server.paths() == ["/posts/start", "/posts/final"]


def build_chain(server: SourceServer, redirects: int) -> str:
    """A chain of `redirects` redirects ending on a page; returns its first URL."""
    server.page("/final", "end of the chain")
    for hop in range(redirects):
        server.redirect(f"/hop/{hop}", "/final" if hop == redirects - 1 else f"/hop/{hop + 1}")
    return server.url("/hop/0" if redirects else "/final")


@pytest.mark.parametrize("max_redirects", [0, 1, 3])
def test_a_chain_of_exactly_max_redirects_is_followed(source_server, max_redirects):
    page = get(build_chain(source_server, max_redirects), max_redirects=max_redirects)

    assert page.body == b"end of the chain"
    assert len(source_server.requests) == max_redirects + 1


@pytest.mark.parametrize("max_redirects", [0, 1, 3])
def test_one_redirect_more_than_max_redirects_is_refused(source_server, max_redirects):
    url = build_chain(source_server, max_redirects + 1)

    reason = refusal(url, max_redirects=max_redirects)

    assert reason == f"too many redirects (more than {max_redirects})"
    assert "/final" not in source_server.paths()


@pytest.mark.parametrize(
    "location",
    ["ftp://example.org/post", "file:///etc/passwd", "javascript:alert(1)", "gopher://127.0.0.1/"],
)
def test_a_redirect_to_another_scheme_is_refused(source_server, location):
    url = source_server.redirect("/start", location)

    assert refusal(url) == "not an http(s) URL"
    assert source_server.paths() == ["/start"]


# The deadline covers the whole fetch


def test_a_body_trickling_a_byte_a_second_is_cut_at_the_deadline(source_server):
    def trickle(wfile):
        for _ in range(30):
            wfile.write(b"x")
            if source_server.stopping.wait(1.0):
                return

    url = source_server.handle(
        "/slow", headers_then(source_server, trickle, Content_Type="text/html", Content_Length="30")
    )
    started = time.monotonic()

    reason = refusal(url, timeout=1.5)

    assert 1.5 <= time.monotonic() - started < 2.5
    assert reason == "the source took longer than 1.5 seconds"


def test_headers_trickling_in_are_cut_at_the_deadline(source_server):
    # Each byte comes well within any per-read timeout; only a total deadline stops this.
    response = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 60
    url = source_server.handle("/slow", write_slowly(source_server, response, 0.2))
    started = time.monotonic()

    reason = refusal(url, timeout=1.0)

    assert 1.0 <= time.monotonic() - started < 2.0
    assert reason == "the source took longer than 1 seconds"


def test_a_server_that_never_answers_is_cut_at_the_deadline(source_server):
    url = source_server.handle("/hang", lambda request: source_server.stopping.wait(30))
    started = time.monotonic()

    reason = refusal(url, timeout=1.0)

    assert 1.0 <= time.monotonic() - started < 2.0
    assert reason == "the source took longer than 1 seconds"


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_listener_that_never_accepts_is_cut_at_the_deadline(scheme):
    # The kernel completes the TCP handshake; no HTTP answer, or no TLS handshake, ever comes.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        started = time.monotonic()

        reason = refusal(f"{scheme}://127.0.0.1:{listener.getsockname()[1]}/", timeout=1.0)

    assert 1.0 <= time.monotonic() - started < 2.0
    assert reason == "the source took longer than 1 seconds"


def test_the_deadline_covers_the_whole_redirect_chain(source_server):
    def slow_redirect(location):
        def handler(request):
            if source_server.stopping.wait(0.4):  # each hop alone is well inside the deadline
                return
            request.send_response(302)
            request.send_header("Location", location)
            request.send_header("Content-Length", "0")
            request.end_headers()

        return handler

    source_server.page("/final", "too late")
    for hop in range(5):
        source_server.handle(
            f"/hop/{hop}", slow_redirect(f"/hop/{hop + 1}" if hop < 4 else "/final")
        )
    started = time.monotonic()

    reason = refusal(source_server.url("/hop/0"), timeout=1.0)

    assert 1.0 <= time.monotonic() - started < 2.0
    assert reason == "the source took longer than 1 seconds"
    assert source_server.paths()[:3] == ["/hop/0", "/hop/1", "/hop/2"]
    assert "/final" not in source_server.paths()


# The size cap, after decompression


@pytest.mark.parametrize(("size", "truncated"), [(1023, False), (1024, False), (1025, True)])
def test_a_body_is_truncated_only_past_max_bytes(source_server, size, truncated):
    url = source_server.page("/post", b"a" * size, content_type="text/plain")

    page = get(url, max_bytes=1024)

    assert (page.body, page.truncated) == (b"a" * min(size, 1024), truncated)


def test_a_huge_body_is_cut_at_max_bytes_and_the_connection_dropped(source_server):
    total = 50 * 1000 * 1000
    seen: dict[str, object] = {}
    finished = threading.Event()

    def huge(wfile):
        block, sent = b"x" * 65536, 0
        try:
            while sent < total:
                sent += wfile.write(block[: total - sent])
        except OSError as error:
            seen["error"] = error
        finally:
            seen["sent"] = sent
            finished.set()

    url = source_server.handle(
        "/huge",
        headers_then(source_server, huge, Content_Type="text/plain", Content_Length=str(total)),
    )

    page = get(url, max_bytes=MiB)

    assert (page.body, page.truncated) == (b"x" * MiB, True)
    assert finished.wait(5), "the server is still sending: the connection was not closed"
    assert isinstance(seen["error"], ConnectionError)
    assert seen["sent"] < total // 2


@cache
def gzip_member() -> bytes:
    """64 MiB of zeros as one gzip member, about 64 KiB; members concatenate into one stream."""
    return zlib.compress(bytes(64 * MiB), 9, wbits=31)


def test_a_gzip_bomb_is_cut_at_max_bytes_in_little_memory(source_server):
    member = gzip_member()

    def bomb(wfile):
        try:
            for _ in range(16):  # 1 GiB once decompressed
                wfile.write(member)
        except OSError:
            pass

    url = source_server.handle(
        "/bomb",
        headers_then(source_server, bomb, Content_Type="text/html", Content_Encoding="gzip"),
    )
    tracemalloc.start()
    try:
        page = get(url, max_bytes=MiB)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (page.body, page.truncated) == (bytes(MiB), True)
    assert peak < 20 * MiB


# Addresses and ports


LOOPBACK_SPELLINGS = [
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "http://127.1:{port}/",
    "http://2130706433:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://0.0.0.0:{port}/",
]


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS)
def test_a_loopback_source_is_refused_before_any_request(source_server, monkeypatch, spelling):
    monkeypatch.setattr(fetch, "ALLOWED_PORTS", (80, 443, 8080, source_server.port))
    source_server.page("/", "inside")
    url = spelling.format(port=source_server.port)

    assert refusal(url, allow_private=False) == NOT_PUBLIC
    assert source_server.requests == []
    # The very same URL reaches the server once private hosts are allowed.
    assert get(url, allow_private=True).body == b"inside"


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]/",
        "http://[::]/",
        "http://10.0.0.1/",
        "http://192.168.1.1:8080/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[fd00::2]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "https://[2002:a00:1::1]/",
        "http://224.0.0.1/",
    ],
)
def test_a_private_address_is_refused_without_connecting(url):
    started = time.monotonic()

    reason = refusal(url, allow_private=False)

    assert reason == NOT_PUBLIC
    assert time.monotonic() - started < 1.0  # no connection attempt to time out


@pytest.mark.parametrize(
    "location",
    [
        "http://[::ffff:127.0.0.1]:{port}/inside",
        "http://0.0.0.0:{port}/inside",
        "http://10.0.0.1/inside",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_a_redirect_to_a_private_address_is_refused(public_loopback, location):
    server = public_loopback
    server.page("/inside", "secret")
    url = server.redirect("/start", location.format(port=server.port))

    assert refusal(url, allow_private=False) == NOT_PUBLIC
    assert server.paths() == ["/start"]


def test_a_redirect_to_a_port_not_allowed_is_refused(public_loopback):
    with SourceServer() as other:
        other.page("/inside", "secret")
        url = public_loopback.redirect("/start", other.url("/inside"))

        reason = refusal(url, allow_private=False)

        assert reason == f"port {other.port} is not allowed (80, 443, 8080 only)"
        assert other.requests == []
        assert public_loopback.paths() == ["/start"]


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("http://example.invalid:22/", 22),
        ("http://example.invalid:0/", 0),
        ("https://example.invalid:8443/", 8443),
        ("http://example.invalid:6379/", 6379),
        ("http://93.184.216.34:25/", 25),
    ],
)
def test_ports_other_than_80_443_and_8080_are_refused_before_any_lookup(failing_dns, url, port):
    reason = refusal(url, allow_private=False)

    assert reason == f"port {port} is not allowed (80, 443, 8080 only)"
    assert failing_dns == []


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("http://example.invalid/", 80),
        ("http://example.invalid:80/", 80),
        ("https://example.invalid/", 443),
        ("https://example.invalid:443/", 443),
        ("http://example.invalid:8080/", 8080),
    ],
)
def test_ports_80_443_and_8080_pass_the_port_rule(failing_dns, url, port):
    reason = refusal(url, allow_private=False)

    assert reason == "the source's host name could not be resolved"
    assert failing_dns == [("example.invalid", port)]


REFUSED_ADDRESSES = {
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback, end of range",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private, end of range",
    "192.168.0.1": "private",
    "169.254.169.254": "link-local, cloud metadata",
    "100.64.0.1": "carrier-grade NAT",
    "100.127.255.254": "carrier-grade NAT, end of range",
    "0.0.0.0": "unspecified",
    "0.1.2.3": "this network",
    "255.255.255.255": "broadcast",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "240.0.0.1": "reserved",
    "192.0.0.8": "IETF protocol assignments",
    "192.0.2.1": "documentation",
    "198.51.100.1": "documentation",
    "203.0.113.7": "documentation",
    "198.18.0.1": "benchmarking",
    "::1": "IPv6 loopback",
    "::": "IPv6 unspecified",
    "fe80::1": "IPv6 link-local",
    "febf::1": "IPv6 link-local, end of range",
    "fc00::1": "unique local",
    "fd12:3456::1": "unique local",
    "fec0::1": "site-local",
    "ff02::1": "IPv6 multicast",
    "ff0e::1": "IPv6 global multicast",
    "2001:db8::1": "IPv6 documentation",
    "100::1": "discard-only",
    "2001::1": "Teredo",
    "::ffff:127.0.0.1": "IPv4-mapped loopback",
    "::ffff:10.0.0.1": "IPv4-mapped private",
    "::ffff:8.8.8.8": "IPv4-mapped, refused whatever it maps",
    "::127.0.0.1": "IPv4-compatible",
    "64:ff9b::127.0.0.1": "NAT64 of loopback",
    "64:ff9b::10.0.0.1": "NAT64 of private",
    "64:ff9b::169.254.169.254": "NAT64 of link-local",
    "64:ff9b:1::a00:1": "local-use NAT64",
    "2002:7f00:1::1": "6to4 of loopback",
    "2002:a00:1::1": "6to4 of private",
    "2002:a9fe:a9fe::1": "6to4 of link-local",
    "2002:6440:1::1": "6to4 of carrier-grade NAT",
}

PUBLIC_ADDRESSES = {
    "93.184.216.34": "example.com",
    "8.8.8.8": "public resolver",
    "1.1.1.1": "public resolver",
    "100.128.0.1": "just past carrier-grade NAT",
    "172.32.0.1": "just past 172.16/12",
    "2606:4700:4700::1111": "IPv6 public resolver",
    "2001:4860:4860::8888": "IPv6 public resolver",
    "64:ff9b::808:808": "NAT64 of a public address",
    "2002:808:808::1": "6to4 of a public address",
}


@pytest.mark.parametrize("address", REFUSED_ADDRESSES, ids=REFUSED_ADDRESSES.values())
def test_special_addresses_are_not_public(address):
    assert fetch.is_public_address(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES, ids=PUBLIC_ADDRESSES.values())
def test_public_addresses_are_public(address):
    assert fetch.is_public_address(ipaddress.ip_address(address)) is True


# One lookup, and the connection goes to what it answered


def test_the_host_is_looked_up_once_per_hop_and_never_by_urllib3(source_server, lookups):
    source_server.page("/final", "done")
    source_server.redirect("/start", "/final")
    port = source_server.port

    page = get(f"http://localhost:{port}/start")

    assert (page.url, page.body) == (f"http://localhost:{port}/final", b"done")
    assert lookups == [("localhost", port), ("localhost", port)]


def test_a_rebinding_name_is_connected_to_at_its_vetted_address(public_loopback, monkeypatch):
    """DNS rebinding: the name answers a vetted address first, then a private one."""
    answers = iter(["127.0.0.1", "169.254.169.254"])
    names: list[str] = []

    def rebinding(host, port, *args, **kwargs):
        names.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    server = public_loopback
    server.page("/post", "the real page")

    page = get(f"http://rebind.test:{server.port}/post", allow_private=False)

    assert page.body == b"the real page"
    assert names == ["rebind.test"]
    assert server.requests[0].headers["Host"] == f"rebind.test:{server.port}"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for the name localhost (not for 127.0.0.1)."""
    return self_signed(tmp_path_factory.mktemp("tls"), "localhost")


@pytest.fixture
def tls_server(certificate, monkeypatch):
    """An https source server whose certificate the fetcher trusts; yields it and the SNI seen."""
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda connection, name, context: server_names.append(name)
    monkeypatch.setattr("requests.adapters.DEFAULT_CA_BUNDLE_PATH", cert)
    with SourceServer(tls=context) as server:
        yield server, server_names


def test_https_connects_to_the_vetted_address_with_the_name_for_sni_and_certificate(
    tls_server, lookups
):
    server, server_names = tls_server
    server.page("/post", "over tls")

    page = get(f"https://localhost:{server.port}/post")

    assert page.body == b"over tls"
    assert server_names == ["localhost"]
    assert lookups == [("localhost", server.port)]
    assert server.requests[0].headers["Host"] == f"localhost:{server.port}"


def test_https_checks_the_certificate_against_the_name_in_the_url(tls_server):
    server, _names = tls_server
    server.page("/post", "over tls")

    # The same server, named by its address: the certificate is for localhost only.
    assert refusal(f"https://127.0.0.1:{server.port}/post") == (
        "the TLS connection to the source failed"
    )


# Every failure is a FetchError with a short reason


def reset(request):
    """Abort the connection with a TCP reset."""
    request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    request.connection.close()


def raw_answer(data: bytes):
    return lambda request: request.wfile.write(data)


def reset_mid_body(request):
    request.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n<p>The start")
    time.sleep(0.05)
    reset(request)


BAD_SERVERS = {
    "reset before answering": (reset, "the source did not answer with a valid HTTP response"),
    "closed without answering": (
        lambda request: None,
        "the source did not answer with a valid HTTP response",
    ),
    "not HTTP": (
        raw_answer(b"SSH-2.0-OpenSSH_9.6\r\n"),
        "the source did not answer with a valid HTTP response",
    ),
    "reset mid-body": (reset_mid_body, "the source's response broke off"),
    "body shorter than its length": (
        raw_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"),
        "the source's response broke off",
    ),
    "bad chunked encoding": (
        raw_answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n"),
        "the source's response broke off",
    ),
    "corrupt gzip": (
        raw_answer(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 8\r\n\r\nnot gzip"
        ),
        "the source's compressed content is corrupt",
    ),
}


@pytest.mark.parametrize(("handler", "reason"), BAD_SERVERS.values(), ids=BAD_SERVERS)
def test_a_failing_server_is_a_fetch_error_with_a_short_reason(source_server, handler, reason):
    url = source_server.handle("/", handler)

    assert refusal(url) == reason
    assert source_server.paths() == ["/"]


def test_a_closed_port_is_a_fetch_error():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}/"

    assert refusal(url) == "could not connect to the source"


def test_tls_to_a_plain_http_server_is_a_fetch_error(source_server):
    source_server.page("/", "plain")

    assert refusal(source_server.url("/").replace("http:", "https:")) == (
        "the TLS connection to the source failed"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http:///post", "not a valid URL"),
        ("http://example.org:99999/", "not a valid URL"),
        ("http://exa mple.org/", "not a valid URL"),
        ("http://[::1/", "not a valid URL"),
        ("example.org/post", "not an http(s) URL"),
        ("ftp://example.org/post", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("", "not an http(s) URL"),
    ],
)
def test_a_bad_url_is_a_fetch_error_without_a_lookup(failing_dns, url, reason):
    assert refusal(url) == reason
    assert failing_dns == []


def test_an_unknown_host_is_a_fetch_error(failing_dns):
    assert refusal("http://no-such-host.invalid/") == "the source's host name could not be resolved"
    assert failing_dns == [("no-such-host.invalid", 80)]


def test_a_slow_lookup_is_cut_at_the_deadline(monkeypatch):
    release = threading.Event()

    def slow(host, port, *args, **kwargs):
        release.wait(10)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    started = time.monotonic()
    try:
        reason = refusal("http://slow-dns.invalid/", timeout=0.5)
    finally:
        release.set()

    assert time.monotonic() - started < 1.5
    assert reason == "the source took longer than 0.5 seconds"


def test_limits_are_read_from_the_config():
    config = {
        "LINKBACK_FETCH_TIMEOUT": 7.5,
        "LINKBACK_MAX_BYTES": 2048,
        "LINKBACK_MAX_REDIRECTS": 2,
        "LINKBACK_ALLOW_PRIVATE_HOSTS": True,
        "OTHER": "ignored",
    }

    assert Limits.from_config(config) == Limits(
        timeout=7.5, max_bytes=2048, max_redirects=2, allow_private=True
    )
