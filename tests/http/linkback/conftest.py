"""The linkback receivers' tests: the app may fetch sources from the local test server
(private hosts allowed), within a short deadline; retried jobs wait a moment only."""

import pytest


@pytest.fixture
def app(make_app):
    return make_app(
        LINKBACK_ALLOW_PRIVATE_HOSTS=True,
        LINKBACK_FETCH_TIMEOUT=2.0,
        JOB_MAX_ATTEMPTS=2,
        JOB_RETRY_SECONDS=0.01,
    )


@pytest.fixture
def target(live_server, post) -> str:
    """The post's address on the live server: what the sources link to."""
    return f"{live_server}/posts/a-post/"
