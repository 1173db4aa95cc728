"""A webhook's POST (issue 14) through the safe fetcher, against a real HTTP server on
127.0.0.1: the body and headers as given, the status back, no redirect followed, the
answer's body unread, and the address, port and deadline rules of every fetch."""

import time

import pytest

from moderation.infra import fetch
from moderation.infra.fetch import FetchError, NotAllowed
from tests.sources import SourceServer

BODY = '{"type":"entry.created","data":{"author":"Zoë"}}'.encode()
HEADERS = {"Content-Type": "application/json", "User-Agent": "moderation/0.1 (webhooks)"}


def post(url: str, **changes) -> int:
    """POST BODY with generous test limits, private hosts allowed unless a test says otherwise."""
    options = {"timeout": 5.0, "allow_private": True} | changes
    return fetch.post(url, BODY, HEADERS, **options)


def refusal(url: str, **changes) -> FetchError:
    with pytest.raises(FetchError) as refused:
        post(url, **changes)
    return refused.value


def recorder(server: SourceServer, status: int, bodies: list[bytes], **headers: str) -> str:
    """Answer /hook with `status` (and `headers`), keeping each body POSTed."""

    def answer(handler) -> None:
        bodies.append(handler.rfile.read(int(handler.headers["Content-Length"])))
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return server.handle("/hook", answer)


@pytest.mark.parametrize("status", [200, 204, 404, 500])
def test_a_post_sends_the_body_and_headers_and_returns_the_status(source_server, status):
    bodies: list[bytes] = []
    url = recorder(source_server, status, bodies)

    assert post(url) == status

    (request,) = source_server.requests
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "moderation/0.1 (webhooks)"
    assert request.headers["Content-Length"] == str(len(BODY))
    assert "Cookie" not in request.headers
    assert bodies == [BODY]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_post_follows_no_redirect(source_server, status):
    source_server.page("/moved", "elsewhere")
    url = recorder(source_server, status, [], Location=source_server.url("/moved"))

    assert post(url) == status
    assert source_server.paths() == ["/hook"]


def test_the_answer_body_is_never_read(source_server):
    def endless(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(10**12))
        handler.end_headers()
        while not source_server.stopping.is_set():
            try:
                handler.wfile.write(b"x" * 65536)
            except OSError:  # the client hung up, as it should
                return

    url = source_server.handle("/hook", endless)
    started = time.monotonic()

    assert post(url, timeout=2.0) == 200
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/hook", "http://10.0.0.1/hook", "http://[::1]/hook"]
)
def test_a_post_to_a_private_address_is_refused_without_connecting(url):
    started = time.monotonic()

    refused = refusal(url, allow_private=False)

    assert isinstance(refused, NotAllowed)
    assert str(refused) == "the receiver's address is not public"
    assert time.monotonic() - started < 1.0


def test_a_post_to_a_port_not_allowed_is_refused_before_any_request(source_server):
    url = recorder(source_server, 200, [])

    refused = refusal(url, allow_private=False)

    assert isinstance(refused, NotAllowed)
    assert str(refused) == f"port {source_server.port} is not allowed (80, 443, 8080 only)"
    assert source_server.requests == []


def test_a_receiver_that_never_answers_is_cut_at_the_deadline(source_server):
    url = source_server.handle("/hook", lambda handler: source_server.stopping.wait(10))
    started = time.monotonic()

    refused = refusal(url, timeout=1.0)

    assert str(refused) == "the receiver took longer than 1 seconds"
    assert not isinstance(refused, NotAllowed)
    assert time.monotonic() - started < 2.0


def test_a_closed_port_is_a_reason_to_try_again():
    with SourceServer() as gone:
        url = gone.url("/hook")

    refused = refusal(url)

    assert str(refused) == "could not connect to the receiver"
    assert not isinstance(refused, NotAllowed)


def test_an_invalid_url_is_refused():
    assert str(refusal("mailto:someone@example.org")) == "not an http(s) URL"
