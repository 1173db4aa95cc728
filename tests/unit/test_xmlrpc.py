"""XML-RPC calls parsed from untrusted bodies, and the responses written back."""

import time
import xmlrpc.client

import pytest

from moderation.rules import xmlrpc as rpc

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodCall><methodName>pingback.ping</methodName><params>
<param><value><string>&lol9;</string></value></param></params></methodCall>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<methodCall><methodName>&xxe;</methodName></methodCall>"""


def test_a_call_made_by_the_standard_library_is_read_back():
    body = xmlrpc.client.dumps(("http://a.example/", "http://b.example/"), "pingback.ping")
    call = rpc.parse_call(body.encode())
    assert call == rpc.Call("pingback.ping", ["http://a.example/", "http://b.example/"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ((42,), [42]),
        ((True, False), [True, False]),
        ((1.5,), [1.5]),
        (([1, "two"],), [[1, "two"]]),
        (({"k": "v"},), [{"k": "v"}]),
        (("ünïcode <&>",), ["ünïcode <&>"]),
        ((), []),
    ],
)
def test_values_of_every_type_are_read(params, expected):
    body = xmlrpc.client.dumps(params, "some.method").encode()
    assert rpc.parse_call(body).params == expected


def test_a_value_without_a_type_is_a_string():
    body = (
        b"<methodCall><methodName>m</methodName>"
        b"<params><param><value>plain</value></param></params></methodCall>"
    )
    assert rpc.parse_call(body).params == ["plain"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", rpc.NOT_WELL_FORMED),
        (b"<methodCall><methodName>x</methodName>", rpc.NOT_WELL_FORMED),
        (b"not xml at all", rpc.NOT_WELL_FORMED),
        (b"<?xml version='1.0' encoding='klingon'?><methodCall/>", rpc.NOT_WELL_FORMED),
        (b"<methodResponse><params/></methodResponse>", rpc.NOT_XMLRPC),
        (b"<methodCall><params/></methodCall>", rpc.NOT_XMLRPC),
        (b"<methodCall><methodName> </methodName></methodCall>", rpc.NOT_XMLRPC),
        (
            b"<methodCall><methodName>m</methodName><params><param/></params></methodCall>",
            rpc.NOT_XMLRPC,
        ),
        (
            b"<methodCall><methodName>m</methodName><params><param><value><int>x</int>"
            b"</value></param></params></methodCall>",
            rpc.NOT_XMLRPC,
        ),
        (
            b"<methodCall><methodName>m</methodName><params><param><value><blob/>"
            b"</value></param></params></methodCall>",
            rpc.NOT_XMLRPC,
        ),
        (BILLION_LAUGHS, rpc.NOT_XMLRPC),
        (EXTERNAL_ENTITY, rpc.NOT_XMLRPC),
    ],
)
def test_what_is_not_a_method_call_is_a_fault(body, code):
    with pytest.raises(rpc.Fault) as raised:
        rpc.parse_call(body)
    assert raised.value.code == code


def test_entity_declarations_are_refused_before_any_expansion():
    started = time.perf_counter()
    with pytest.raises(rpc.Fault, match="DOCTYPE"):
        rpc.parse_call(BILLION_LAUGHS)
    assert time.perf_counter() - started < 0.5


def test_deeply_nested_values_are_a_fault_not_a_crash():
    nested = (
        b"<value><array><data>" * 5000 + b"<value>x</value>" + b"</data></array></value>" * 5000
    )
    body = (
        b"<methodCall><methodName>m</methodName><params><param>"
        + nested
        + b"</param></params></methodCall>"
    )
    with pytest.raises(rpc.Fault) as raised:
        rpc.parse_call(body)
    assert raised.value.code == rpc.NOT_XMLRPC


def test_responses_and_faults_are_read_by_the_standard_library():
    assert xmlrpc.client.loads(rpc.response("done <&>"))[0] == ("done <&>",)
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc.client.loads(rpc.fault_response(rpc.Fault(17, "no <link>")))
    assert (raised.value.faultCode, raised.value.faultString) == (17, "no <link>")
