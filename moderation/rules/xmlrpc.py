"""XML-RPC method calls in and responses out, for untrusted bodies.

Calls are parsed with defusedxml: a DOCTYPE (and so any ENTITY) is refused as soon
as the parser meets it, before anything is expanded. Responses are written by the
standard library, which escapes every string.
"""

import base64
import binascii
import xmlrpc.client
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# Fault codes of the "specification for fault code interoperability".
NOT_WELL_FORMED = -32700
NOT_XMLRPC = -32600
UNKNOWN_METHOD = -32601
WRONG_PARAMS = -32602

MAX_DEPTH = 16  # nested arrays and structs; pingback needs none


class Fault(Exception):
    """An XML-RPC fault: answered in an HTTP 200 response, as the protocol asks."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Call:
    method: str
    params: list[Any]


def parse_call(body: bytes) -> Call:
    """Read a <methodCall>; raise Fault for anything that is not one."""
    try:
        root = fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise Fault(NOT_XMLRPC, "DOCTYPE and entity declarations are not accepted.") from None
    except (ParseError, ValueError, LookupError):
        raise Fault(NOT_WELL_FORMED, "The request is not well-formed XML.") from None
    method = root.findtext("methodName") if root.tag == "methodCall" else None
    if not method or not method.strip():
        raise Fault(NOT_XMLRPC, "The request is not an XML-RPC method call.")
    params = root.find("params")
    values = [] if params is None else [_param(param) for param in params]
    return Call(method.strip(), values)


def _param(param: Element) -> Any:
    value = param.find("value")
    if param.tag != "param" or value is None:
        raise Fault(NOT_XMLRPC, "Each <param> holds one <value>.")
    return _value(value, 0)


def _value(value: Element, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise Fault(NOT_XMLRPC, "Values are nested too deeply.")
    children = list(value)
    if not children:
        return value.text or ""  # a <value> without a type is a string
    if len(children) != 1:
        raise Fault(NOT_XMLRPC, "A <value> holds one typed value.")
    typed = children[0]
    text = typed.text or ""
    try:
        match typed.tag:
            case "string":
                return text
            case "int" | "i4" | "i8":
                return int(text.strip())
            case "boolean" if text.strip() in {"0", "1"}:
                return text.strip() == "1"
            case "double":
                return float(text.strip())
            case "dateTime.iso8601":
                return text.strip()
            case "base64":
                return base64.b64decode(text, validate=False)
            case "nil":
                return None
            case "array":
                data = typed.find("data")
                items = [] if data is None else data.findall("value")
                return [_value(item, depth + 1) for item in items]
            case "struct":
                return {
                    member.findtext("name", ""): _member_value(member, depth)
                    for member in typed.findall("member")
                }
    except (ValueError, binascii.Error):
        pass
    raise Fault(NOT_XMLRPC, f"<{typed.tag}> is not a valid XML-RPC value here.")


def _member_value(member: Element, depth: int) -> Any:
    value = member.find("value")
    if value is None:
        raise Fault(NOT_XMLRPC, "Each struct <member> holds a <value>.")
    return _value(value, depth + 1)


def response(result: Any) -> bytes:
    """A <methodResponse> carrying one value."""
    return xmlrpc.client.dumps((result,), methodresponse=True).encode()


def fault_response(fault: Fault) -> bytes:
    """A <methodResponse> carrying a fault."""
    return xmlrpc.client.dumps(
        xmlrpc.client.Fault(fault.code, fault.message), methodresponse=True
    ).encode()
