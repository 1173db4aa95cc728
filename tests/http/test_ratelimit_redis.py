"""With REDIS_URL, several processes share the login-failure counts (SPEC §2
(Configuration): REDIS_URL is the state shared across processes and hosts, rate-limit
counts included; LOGIN_RATE_LIMIT counts failed logins per IP and per username)."""

import socket
import uuid

import pytest
import redis

from tests.conftest import REDIS_URL, send_login
from tests.helpers import submit


@pytest.fixture
def own_keys():
    """A client address and username of this test's own; their Redis keys removed after."""
    marker = uuid.uuid4().hex[:12]
    ip = f"2001:db8:0:{marker[:4]}:{marker[4:8]}:{marker[8:]}:0:1"  # documentation range
    username = f"nobody-{marker}"
    yield ip, username
    client = redis.Redis.from_url(REDIS_URL)
    for pattern in (f"*ip:{ip}/*", f"*user:{username}/*"):
        for key in client.scan_iter(match=pattern):
            client.delete(key)
    client.close()


def _fail_login(app, ip: str, username: str):
    return send_login(
        app.test_client(),
        username,
        "not the password",
        request={"headers": {"X-Forwarded-For": ip}},
    )


@pytest.mark.redis
def test_two_apps_on_one_redis_share_the_failed_login_count(make_app, own_keys):
    ip, username = own_keys
    config = {
        "REDIS_URL": REDIS_URL,
        "TRUSTED_PROXIES": 1,
        "LOGIN_RATE_LIMIT": "3 per minute",
    }
    first, second = make_app(**config), make_app(**config)
    assert _fail_login(first, ip, username).status_code == 401
    assert _fail_login(second, ip, username).status_code == 401
    # The third failure, counted across both, uses up the limit.
    assert _fail_login(first, ip, username).status_code == 429
    assert _fail_login(second, ip, username).status_code == 429


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the socket is closed


def test_while_redis_is_unreachable_each_process_counts_on_its_own(make_app, post, caplog):
    app = make_app(
        REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0",
        LOGIN_RATE_LIMIT="3 per minute",
        COMMENT_RATE_LIMIT="2 per minute",
        COMMENT_FLOOD_SECONDS=0,  # it would answer the second comment before the limit
    )
    codes = [_fail_login(app, "192.0.2.7", "nobody").status_code for _ in range(4)]
    assert codes == [401, 401, 429, 429]  # no 500, and the limit still holds
    client = app.test_client()
    comments = [submit(client, comment=f"Comment {n}").status_code for n in range(3)]
    assert comments == [303, 303, 429]
    assert "Rate limit storage unreachable" in caplog.text
