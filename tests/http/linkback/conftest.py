"""The linkback receivers' tests: the app may fetch sources from the local test server
(private hosts allowed), within a short deadline; retried jobs wait a moment only.
Everything else is as deployed: the flood rule, rate limits, CSRF for the dashboard."""

from functools import partial

import pytest

# The names the live server and the test client go by: a site that takes linkbacks must
# know its own address (README, "The site's own address"), here through TRUSTED_HOSTS.
OWN_HOSTS = ["127.0.0.1", "localhost"]


@pytest.fixture
def make_app(make_app):
    """Apps that know their own address, as a site taking linkbacks is deployed."""
    return partial(make_app, TRUSTED_HOSTS=OWN_HOSTS)


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
