"""The OpenAPI 3.1 document of the JSON API, generated from the code (issue 13).

Each view says what it takes and answers with `@documented(Operation(...))`, naming the
typed dictionaries of web/shapes.py that it fills. The document is then drawn from
three sources, so it cannot drift from what is served:
- the paths and methods from the app's URL map (the blueprint's own rules);
- each operation's summary and description from the view's docstring;
- the schemas from those typed dictionaries, by pydantic, whose JSON Schema (draft
  2020-12) is the dialect of OpenAPI 3.1; apispec assembles the document.
Built once per app, on the first request for it.
"""

import re
from dataclasses import dataclass
from typing import Any

from apispec import APISpec
from flask import Flask
from pydantic import TypeAdapter

OPERATION = "openapi_operation"  # the view function's attribute that holds its Operation
REF = "#/components/schemas/{model}"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
_CONVERTED_PART = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")  # <int:page> → {page}


@dataclass(frozen=True)
class Operation:
    """What a view takes and answers, for the document.

    `responses` maps each status to its description and body shape (None: no body);
    `query` is a typed dictionary whose keys are the query parameters; `body` the request
    body's shape, sent as JSON or, with `form_body`, form-encoded too; a `cacheable` read
    carries an ETag and Cache-Control, and answers 304 to If-None-Match.
    """

    responses: dict[int, tuple[str, Any]]
    query: Any = None
    body: Any = None
    form_body: bool = False
    cacheable: bool = False


def documented(operation: Operation):
    """Attach the operation to the view, for the document."""

    def attach(view):
        setattr(view, OPERATION, operation)
        return view

    return attach


HEADERS = {  # components/headers
    "Access-Control-Allow-Origin": "The request's Origin, when it is a registered site's; "
    "absent otherwise. Never with credentials.",
    "Vary": "Origin, at least: the answer depends on it.",
    "ETag": "A weak tag of what a shared read shows.",
    "Cache-Control": "public, max-age=PAGE_MAX_AGE for a shared read; private, no-store for "
    "what only this reader may see.",
    "Access-Control-Allow-Methods": "GET, POST, for a registered site's origin.",
    "Access-Control-Allow-Headers": "Content-Type, for a registered site's origin.",
    "Access-Control-Max-Age": "Seconds the preflight's answer may be kept.",
}
CORS_HEADERS = ("Access-Control-Allow-Origin", "Vary")
CACHE_HEADERS = ("ETag", "Cache-Control")
PREFLIGHT_HEADERS = (
    *CORS_HEADERS,
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Max-Age",
)


def _headers(names: tuple[str, ...]) -> dict:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


PREFLIGHT = {
    "summary": "Answer a CORS preflight.",
    "description": "CORS is granted to registered sites' origins only, without credentials; "
    "another origin's preflight is answered with no CORS headers.",
    "responses": {
        "204": {"description": "The preflight's answer.", "headers": _headers(PREFLIGHT_HEADERS)}
    },
}


def document(app: Flask, blueprint: str, title: str, version: str, description: str) -> dict:
    """The OpenAPI 3.1 document of a blueprint's documented views; built once per app."""
    key = f"moderation.openapi.{blueprint}"
    if key not in app.extensions:
        app.extensions[key] = _build(app, blueprint, title, version, description)
    return app.extensions[key]


def _build(app: Flask, blueprint: str, title: str, version: str, description: str) -> dict:
    rules = sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(blueprint + ".")),
        key=lambda rule: rule.rule,
    )
    views = {rule.endpoint: app.view_functions[rule.endpoint] for rule in rules}
    operations = {endpoint: getattr(view, OPERATION) for endpoint, view in views.items()}
    schemas, components = _schemas(operations.values())
    spec = APISpec(
        title=title, version=version, openapi_version="3.1.0", info={"description": description}
    )
    for name, schema in sorted(components.items()):
        spec.components.schema(name, schema)
    for name, text in HEADERS.items():
        spec.components.header(name, {"description": text, "schema": {"type": "string"}})
    for rule in rules:
        view, operation = views[rule.endpoint], operations[rule.endpoint]
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        spec.path(
            path=_CONVERTED_PART.sub(r"{\1}", rule.rule),
            operations={
                **{
                    method.lower(): _operation(rule.endpoint, view, operation, schemas)
                    for method in methods
                },
                "options": PREFLIGHT,
            },
        )
    return spec.to_dict()


def _schemas(operations) -> tuple[dict[int, dict], dict[str, dict]]:
    """The JSON Schema of every shape the operations name, by id(shape), and the named
    ones for components/schemas (pydantic, in one pass, so that they share their $defs)."""
    shapes = {}
    for operation in operations:
        named = [operation.body, *(shape for _, shape in operation.responses.values())]
        shapes.update({id(shape): shape for shape in named if shape is not None})
    keys, definitions = TypeAdapter.json_schemas(
        [(key, "serialization", TypeAdapter(shape)) for key, shape in shapes.items()],
        ref_template=REF,
    )
    return {key: schema for (key, _), schema in keys.items()}, definitions.get("$defs", {})


def _operation(endpoint: str, view, operation: Operation, schemas: dict[int, dict]) -> dict:
    summary, _, description = (view.__doc__ or "").strip().partition("\n")
    result: dict[str, Any] = {
        "operationId": endpoint.partition(".")[2],
        "summary": summary.strip(),
        "responses": {
            str(status): _response(text, schemas.get(id(shape)), operation.cacheable, status)
            for status, (text, shape) in sorted(operation.responses.items())
        },
    }
    if description.strip():
        result["description"] = " ".join(description.split())
    if operation.query is not None:
        result["parameters"] = _query_parameters(operation.query)
    if operation.body is not None:
        body = {"schema": schemas[id(operation.body)]}
        content = {JSON: body, FORM: body} if operation.form_body else {JSON: body}
        result["requestBody"] = {"required": True, "content": content}
    if operation.cacheable:
        result["responses"]["304"] = {
            "description": "Not modified: the If-None-Match tag is current.",
            "headers": _headers((*CORS_HEADERS, *CACHE_HEADERS)),
        }
    return result


def _response(text: str, schema: dict | None, cacheable: bool, status: int) -> dict:
    names = (*CORS_HEADERS, *(CACHE_HEADERS if cacheable and status == 200 else ()))
    response: dict[str, Any] = {"description": text, "headers": _headers(names)}
    if schema is not None:
        response["content"] = {JSON: {"schema": schema}}
    return response


def _query_parameters(query) -> list[dict]:
    """One parameter for each key of a typed dictionary (a list: the key repeated)."""
    schema = TypeAdapter(query).json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        parameter = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            parameter["description"] = prop["description"]
        parameter["schema"] = {
            key: value for key, value in prop.items() if key not in ("title", "description")
        }
        parameters.append(parameter)
    return parameters
