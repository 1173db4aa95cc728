"""The /xmlrpc endpoint itself: methods offered, protocol faults, body cap, rate limits."""

import time
import xmlrpc.client

import pytest

from moderation.web.linkback import MAX_BODY_BYTES
from tests.unit.test_xmlrpc import BILLION_LAUGHS, EXTERNAL_ENTITY


def call(client, body: bytes | str, **headers):
    response = client.post("/xmlrpc", data=body, content_type="text/xml", headers=headers)
    return response


def answer(response):
    """The result of an XML-RPC response, or the fault code it carries."""
    assert response.status_code == 200
    assert response.content_type == "text/xml; charset=utf-8"
    try:
        return xmlrpc.client.loads(response.data)[0][0]
    except xmlrpc.client.Fault as fault:
        return fault.faultCode


def test_list_methods_names_the_three_offered(client):
    body = xmlrpc.client.dumps((), "system.listMethods")
    assert answer(call(client, body)) == [
        "pingback.ping",
        "pingback.extensions.getPingbacks",
        "system.listMethods",
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<methodCall><methodName>pingback.ping", -32700),
        (b"\xff\xfe garbage", -32700),
        (b"<html><body>hello</body></html>", -32600),
        (BILLION_LAUGHS, -32600),
        (EXTERNAL_ENTITY, -32600),
        (xmlrpc.client.dumps((), "system.multicall"), -32601),
        (xmlrpc.client.dumps(([],), "system.multicall"), -32601),
        (xmlrpc.client.dumps(("a", "b"), "wp.getUsersBlogs"), -32601),
        (xmlrpc.client.dumps(("http://a.example/",), "pingback.ping"), -32602),
        (xmlrpc.client.dumps(("http://a.example/", 3), "pingback.ping"), -32602),
        (xmlrpc.client.dumps(("a", "b", "c"), "pingback.ping"), -32602),
        (xmlrpc.client.dumps((), "pingback.extensions.getPingbacks"), -32602),
        (xmlrpc.client.dumps(("x",), "system.listMethods"), -32602),
    ],
)
def test_protocol_errors_are_faults_in_a_200_response(client, body, code):
    assert answer(call(client, body)) == code


def test_entity_bodies_are_refused_quickly(client):
    started = time.perf_counter()
    assert answer(call(client, BILLION_LAUGHS)) == -32600
    assert time.perf_counter() - started < 0.5


def test_a_body_over_64_kib_is_413(client):
    body = xmlrpc.client.dumps(("x" * MAX_BODY_BYTES, "y"), "pingback.ping")
    assert call(client, body).status_code == 413


def test_a_body_just_under_the_cap_is_read(client):
    body = xmlrpc.client.dumps(("x",), "pingback.ping")
    padded = body.replace("<params>", "<params>" + " " * (MAX_BODY_BYTES - len(body) - 8))
    assert len(padded) <= MAX_BODY_BYTES
    assert answer(call(client, padded)) == -32602


def test_only_post_is_taken(client):
    assert client.get("/xmlrpc").status_code == 405


def test_the_endpoint_needs_no_csrf_token(app, post):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # on, as deployed
    body = xmlrpc.client.dumps((), "system.listMethods")
    assert isinstance(answer(call(app.test_client(), body)), list)


def test_pingbacks_past_the_limit_per_caller_are_fault_49(make_app, post):
    app = make_app(LINKBACK_RATE_LIMIT="3 per minute", TRUSTED_HOSTS=["localhost"])
    client = app.test_client()
    codes = [
        answer(call(client, xmlrpc.client.dumps((f"ftp://s{n}.example/", "x"), "pingback.ping")))
        for n in range(4)
    ]
    assert codes == [0, 0, 0, 49]


def test_pingbacks_past_the_limit_per_source_host_are_fault_49(make_app, post):
    app = make_app(
        LINKBACK_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1, TRUSTED_HOSTS=["localhost"]
    )
    client = app.test_client()
    body = xmlrpc.client.dumps(("http://spam.example/a", "x"), "pingback.ping")
    codes = [answer(call(client, body, **{"X-Forwarded-For": f"198.51.100.{n}"})) for n in range(3)]
    assert codes == [0, 0, 49]
    other = xmlrpc.client.dumps(("http://fine.example/a", "x"), "pingback.ping")
    assert answer(call(client, other, **{"X-Forwarded-For": "198.51.100.9"})) == 0
