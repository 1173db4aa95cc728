"""With LINKBACK_ALLOW_PRIVATE_HOSTS off (the default), no source on a private address is
fetched: the ping is fault 16 and the local server never hears of it (SPEC §3,
Linkbacks)."""

import re
import xmlrpc.client

import pytest
import requests

from tests.helpers import entries


@pytest.fixture
def app(make_app):
    """As deployed, LINKBACK_ALLOW_PRIVATE_HOSTS left off; the site knows its address."""
    return make_app(TRUSTED_HOSTS=["127.0.0.1"])


@pytest.fixture
def target(live_server, post) -> str:
    return f"{live_server}/posts/a-post/"


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:{port}",
        "localhost:{port}",
        "127.1:{port}",
        "[::1]:{port}",
        "[::ffff:127.0.0.1]:{port}",
        "10.0.0.1",
        "169.254.169.254",
        "0.0.0.0:{port}",
    ],
)
def test_private_sources_are_refused_without_a_request(app, target, source_server, host):
    source_server.page("/week.html", f'<title>t</title><a href="{target}">link</a>')
    page = requests.get(target, timeout=5)
    [address] = re.findall(r'<link rel="pingback" href="([^"]+)">', page.text)
    source = f"http://{host.format(port=source_server.port)}/week.html"
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc.client.ServerProxy(address).pingback.ping(source, target)
    assert raised.value.faultCode == 16
    assert source_server.requests == []
    assert entries(app) == []
