"""The OpenAPI document is fit for client generation: named operations, one Problem schema,
declared headers, examples, enums and formats, described tags; openapi.json is current."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from socialmetrics.points import ObjectType, Period, Source

ROOT = Path(__file__).resolve().parents[3]
CAMEL_CASE = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$")
PROBLEM_REF = "#/components/schemas/Problem"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    from functions.api.app import create_app

    return create_app()


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_every_operation_has_a_unique_camel_case_operation_id(document: dict[str, Any]) -> None:
    """A route registered without ``operation_id=`` gets FastAPI's generated id
    (``list_metrics_metrics__get``), which is not camelCase: this names every such route."""
    ids = {
        f"{method} {path}": op.get("operationId", "") for method, path, op in operations(document)
    }
    assert len(ids) >= 20
    missing = {route: i for route, i in ids.items() if not CAMEL_CASE.match(i)}
    assert not missing, f"give these routes operation_id=... in route(): {missing}"
    values = list(ids.values())
    assert len(values) == len(set(values)), sorted(i for i in values if values.count(i) > 1)


def test_operation_ids_are_the_documented_names(document: dict[str, Any]) -> None:
    ids = {f"{method} {path}": op["operationId"] for method, path, op in operations(document)}
    assert ids["GET /metrics/"] == "listMetrics"
    assert ids["POST /users/register-token/"] == "registerToken"
    assert ids["POST /auth/login"] == "login"
    assert ids["GET /metrics/summary"] == "getMetricsSummary"


def test_every_error_response_references_the_one_problem_schema(
    document: dict[str, Any],
) -> None:
    errors = 0
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            errors += 1
            content = response["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)
            assert content["application/problem+json"]["schema"] == {"$ref": PROBLEM_REF}
            assert content["application/problem+json"]["example"]["status"] == int(status)
    assert errors > 90
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])
    text = json.dumps(document["paths"])
    assert '"title": "Problem"' not in text
    assert "HTTPValidationError" not in text


def test_every_schema_and_every_body_has_an_example(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert [name for name, schema in schemas.items() if not schema.get("examples")] == []
    without: list[str] = []
    for method, path, operation in operations(document):
        bodies = [("request", operation.get("requestBody", {}).get("content", {}))]
        bodies += [(s, r.get("content", {})) for s, r in operation["responses"].items()]
        for where, content in bodies:
            without += [
                f"{method} {path} {where} {media}"
                for media in content
                if "example" not in content[media]
            ]
        has_body = any(content for s, content in bodies[1:] if s.startswith("2")) or operation[
            "responses"
        ].keys() & {"204"}
        assert has_body, f"{method} {path} documents no success body"
    assert without == []


def test_headers_the_app_sends_are_declared(document: dict[str, Any]) -> None:
    declared = document["components"]["headers"]
    assert {"Link", "X-Next-Cursor", "ETag", "Retry-After", "X-Request-Id"} <= set(declared)
    paths = document["paths"]

    def headers(path: str, method: str, status: str) -> set[str]:
        return set(paths[path][method]["responses"][status].get("headers", {}))

    assert {"Link", "X-Next-Cursor", "ETag"} <= headers("/metrics/", "get", "200")
    assert {"Link", "X-Next-Cursor", "ETag"} <= headers("/metrics/summary", "get", "200")
    assert "X-Next-Cursor" in headers("/users/", "get", "200")
    assert "Retry-After" in headers("/auth/login", "post", "429")
    assert "Retry-After" in headers("/users/register-token/", "post", "503")
    assert "WWW-Authenticate" in headers("/metrics/", "get", "401")
    for method, path, operation in operations(document):
        json_get = method == "GET" and "application/json" in operation["responses"].get(
            "200", {}
        ).get("content", {})
        if json_get:
            assert "ETag" in headers(path, "get", "200"), path
            assert "ETag" in operation["responses"]["304"]["headers"], path
        for status in operation["responses"]:
            assert "X-Request-Id" in headers(path, method.lower(), status), (path, status)
    refs = re.findall(r'"#/components/headers/([^"]+)"', json.dumps(paths))
    assert set(refs) <= set(declared)


def test_closed_sets_are_enums_and_times_are_formatted(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    metric = schemas["MetricOut"]["properties"]
    assert metric["period"]["enum"] == list(typing.get_args(Period))
    assert metric["source"]["enum"] == list(typing.get_args(Source))
    assert metric["object_type"]["enum"] == list(typing.get_args(ObjectType))
    assert metric["collected_at"]["format"] == "date-time"
    assert schemas["SummaryOut"]["properties"]["bucket_start"]["format"] == "date-time"
    assert schemas["TokenMetadataOut"]["properties"]["status"]["enum"] == [
        "active",
        "reauth_required",
        "not_found",
        "revoked",
    ]
    assert schemas["PlatformOut"]["properties"]["family"]["enum"] == ["x", "meta", "tiktok"]
    summary = {p["name"]: p for p in document["paths"]["/metrics/summary"]["get"]["parameters"]}
    assert summary["interval"]["schema"]["enum"] == ["day", "week", "month"]
    assert summary["agg"]["schema"]["enum"] == ["sum", "avg", "min", "max", "last"]


def test_every_tag_in_use_is_described(document: dict[str, Any]) -> None:
    described = {t["name"]: t.get("description", "") for t in document["tags"]}
    used = {tag for _, _, operation in operations(document) for tag in operation["tags"]}
    assert used <= set(described)
    assert all(described[tag] for tag in used)


def test_committed_openapi_json_is_the_generator_output() -> None:
    from functions.api.openapi import render

    committed = (ROOT / "openapi.json").read_text(encoding="utf-8")
    assert committed == render(), "openapi.json drifted: run `make openapi`"
