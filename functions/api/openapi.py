"""The OpenAPI document clients are generated from (served at ``/openapi.json``, committed as
``openapi.json``; ``make openapi`` rewrites the file, tests/unit/api/test_openapi.py checks it).

FastAPI builds the paths from the routes; this module adds what clients and readers need on
top, in one place: tag descriptions, ``components/schemas/Problem`` (every error response
references it), the response headers the app sends (``components/headers``: ``ETag`` and
``Cache-Control`` on every JSON GET with its ``304``, ``X-Request-Id`` everywhere, paging and
throttling headers where routes declare them) and an example on every request and response
body (taken from the schema's own ``examples`` unless the route gives one).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from functions.api.deps import header_refs
from functions.api.schemas import Problem

TAGS: list[dict[str, str]] = [
    {"name": "health", "description": "Liveness and readiness probes (no authentication)."},
    {
        "name": "auth",
        "description": "Exchange an API key for a short-lived bearer JWT "
        "(failed attempts are throttled with 429 and Retry-After).",
    },
    {
        "name": "tokens",
        "description": "Register, list and revoke platform account tokens. Tokens are stored "
        "envelope-encrypted and never returned.",
    },
    {
        "name": "users",
        "description": "Users (admin CRUD, self-service read and update), LGPD export and erasure.",
    },
    {"name": "platforms", "description": "The platform catalogue; admins change it."},
    {
        "name": "metrics",
        "description": "Collected metrics: keyset pages (X-Next-Cursor, Link), CSV export and "
        "time-bucket summaries. A client sees only its own data.",
    },
    {"name": "consent", "description": "LGPD consent: append-only history per user."},
    {
        "name": "accounts",
        "description": "Platform accounts: health (status, token expiry, quota), collect now.",
    },
    {
        "name": "webhook endpoints",
        "description": "Outbound webhooks: a tenant's endpoints, signing secrets and deliveries.",
    },
    {"name": "usage", "description": "Platform API usage and estimated cost; X budgets."},
    {"name": "webhooks", "description": "Inbound webhook entries that ingest refused (admin)."},
]

_STRING = {"type": "string"}
HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "Strong validator of the JSON body; send it back as If-None-Match.",
        "schema": {**_STRING, "example": '"3f2a9c0d1b4e5f60718293a4b5c6d7e8"'},
    },
    "Cache-Control": {
        "description": "Always `private, no-cache`: keep, but revalidate before reuse.",
        "schema": {**_STRING, "example": "private, no-cache"},
    },
    "Vary": {"description": "`Authorization`.", "schema": {**_STRING, "example": "Authorization"}},
    "X-Next-Cursor": {
        "description": "Opaque cursor of the next page (pass it as `cursor`); absent on the "
        "last page.",
        "schema": {**_STRING, "example": "eyJ0IjoiMjAyNS0wMS0wMlQxMDowMDowMFoiLCJpIjoxMDB9"},
    },
    "Link": {
        "description": 'RFC 8288 link to the next page (`rel="next"`); absent on the last page.',
        "schema": {**_STRING, "example": '</metrics/?limit=100&cursor=eyJ0Ijoi…>; rel="next"'},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1, "example": 60},
    },
    "WWW-Authenticate": {
        "description": "The authentication scheme to use.",
        "schema": {**_STRING, "example": 'Bearer realm="socialmetrics"'},
    },
    "X-Request-Id": {
        "description": "The request's id (API Gateway's, or the client's X-Request-Id); also in "
        "problem bodies and logs.",
        "schema": {**_STRING, "example": "Lk3vQhTRoAMEbXw="},
    },
    "Location": {
        "description": "Where to poll the export job (`GET /exports/{export_id}`).",
        "schema": {**_STRING, "example": "/exports/exp_6f1c2d3e4b5a69788796a5b4c3d2e1f0"},
    },
    "Content-Disposition": {
        "description": "The file name of a download.",
        "schema": {**_STRING, "example": 'attachment; filename="metrics.csv"'},
    },
}
_SCHEMA_PREFIX = "#/components/schemas/"


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template=_SCHEMA_PREFIX + "{model}")
    nested: dict[str, Any] = schema.pop("$defs", {})
    return {**nested, "Problem": schema}


def _example_of(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_PREFIX):
        examples = schemas.get(ref.removeprefix(_SCHEMA_PREFIX), {}).get("examples") or [None]
        return examples[0]
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        item = _example_of(schema["items"], schemas)
        return None if item is None else [item]
    return None


def _add_examples(content: dict[str, Any], schemas: dict[str, Any]) -> None:
    for media in content.values():
        if "example" in media or "examples" in media or "schema" not in media:
            continue
        example = _example_of(media["schema"], schemas)
        if example is not None:
            media["example"] = example


def _complete(method: str, operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation["responses"]
    for response in responses.values():
        response.setdefault("headers", {}).update(header_refs("X-Request-Id"))
        _add_examples(response.get("content", {}), schemas)
    # functions/api/caching.py: every 200 JSON answer to a GET carries an ETag, or is a 304.
    if method == "get" and "application/json" in responses.get("200", {}).get("content", {}):
        responses["200"]["headers"].update(header_refs("ETag", "Cache-Control", "Vary"))
        responses["304"] = {
            "description": "Not modified: the If-None-Match request header matched the ETag",
            "headers": header_refs("ETag", "Cache-Control", "Vary", "X-Request-Id"),
        }
    body = operation.get("requestBody")
    if body:
        _add_examples(body.get("content", {}), schemas)


def _drop_unreferenced(document: dict[str, Any], names: tuple[str, ...]) -> None:
    text = json.dumps(document["paths"]) + json.dumps(document["components"]["schemas"])
    for name in names:
        if f'"{_SCHEMA_PREFIX}{name}"' not in text:
            document["components"]["schemas"].pop(name, None)


def build(app: FastAPI) -> dict[str, Any]:
    """The complete OpenAPI document of ``app``."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
    )
    components = document.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    schemas.update(_problem_schemas())
    components["headers"] = HEADERS
    for item in document["paths"].values():
        for method, operation in item.items():
            _complete(method, operation, schemas)
    _drop_unreferenced(document, ("HTTPValidationError", "ValidationError"))
    components["schemas"] = dict(sorted(schemas.items()))
    return document


def install(app: FastAPI) -> None:
    """Serve :func:`build`'s document (built once per process) at ``/openapi.json``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def render() -> str:
    """``openapi.json`` as committed: indented, key order kept, ending with a newline."""
    from functions.api.app import create_app

    return json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
