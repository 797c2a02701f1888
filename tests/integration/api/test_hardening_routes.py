"""Hardening through the real Mangum handler: 405 with the full Allow list, email changes
that reveal nothing, ISO 8601 expiries, and the admin list of rejected webhook entries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from socialmetrics.db.engine import unit_of_work
from tests.integration.api.conftest import Person
from tests.integration.api.gateway import Api


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/auth/login", "POST"),
        ("PUT", "/users/register-token/", "POST"),  # not captured by /users/{user_id}
        ("GET", "/users/register-token", "POST"),
        ("PUT", "/platforms/", "GET, POST"),  # two routes, one path: both methods
        ("PATCH", "/platforms/1", "DELETE, PUT"),
        ("POST", "/users/5", "DELETE, GET, PATCH, PUT"),
        ("DELETE", "/metrics/", "GET"),
        ("PUT", "/consent/", "POST"),
        ("POST", "/webhooks/rejections", "GET"),
    ],
)
def test_a_wrong_method_is_405_with_allow_before_authentication(
    api: Api, method: str, path: str, allow: str
) -> None:
    reply = api.call(method, path, body={} if method != "GET" else None)
    assert reply.status == 405, reply
    assert reply.headers["allow"] == allow
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert (problem["status"], problem["instance"]) == (405, path)


def test_every_documented_path_answers_other_methods_with_405_and_its_allow() -> None:
    """Every path of the OpenAPI document, with each method it does not declare."""
    import re

    from mangum import Mangum

    from functions.api.app import create_app
    from tests.integration.api.gateway import invoke, make_event

    app = create_app()
    handler = Mangum(app, lifespan="off")
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        allowed = {method.upper() for method in operations}
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed):
            reply = invoke(handler, make_event(method, concrete))
            assert reply.status == 405, (method, path, reply)
            assert reply.headers["allow"] == ", ".join(sorted(allowed)), (method, path)
            assert reply.headers["content-type"] == "application/problem+json"
            checked += 1
    assert checked > 40


def test_an_unknown_path_is_still_404(api: Api) -> None:
    reply = api.call("PUT", "/nowhere")
    assert reply.status == 404
    assert "allow" not in reply.headers


def test_a_client_email_change_never_reveals_whether_the_address_is_taken(
    api: Api, client: Person, other: Person, admin: Person
) -> None:
    path = f"/users/{client.user_id}"
    taken = api.call("PATCH", path, token=client.token, body={"email": "bruno@example.com"})
    free = api.call("PATCH", path, token=client.token, body={"email": "free@example.com"})
    assert taken.status == free.status == 403
    assert taken.json()["detail"] == free.json()["detail"]
    assert taken.json()["type"] == free.json()["type"]
    # The unchanged address (any case) and the name remain the client's own to set.
    same = api.call(
        "PUT", path, token=client.token, body={"name": "Ana M.", "email": "ANA@example.com"}
    )
    assert same.status == 200, same
    # Admins see every user anyway: a taken address is a plain conflict for them.
    conflict = api.call("PATCH", path, token=admin.token, body={"email": "bruno@example.com"})
    assert conflict.status == 409
    moved = api.call("PATCH", path, token=admin.token, body={"email": "ana.m@example.com"})
    assert (moved.status, moved.json()["email"]) == (200, "ana.m@example.com")


def test_register_token_takes_an_iso_8601_expiry(api: Api, client: Person) -> None:
    body = {"platform_user_id": "iso-1", "access_token": "tok", "platform_id": 3}
    reply = api.call(
        "POST",
        "/users/register-token/",
        token=client.token,
        body={**body, "expires_at": "2030-01-02T03:04:05+02:00"},
    )
    assert reply.status == 201, reply
    (token,) = api.call("GET", f"/users/{client.user_id}/tokens/", token=client.token).json()
    assert datetime.fromisoformat(token["expires_at"]) == datetime(2030, 1, 2, 1, 4, 5, tzinfo=UTC)
    for bad in ("2030-01-02T03:04:05", "soon", 1893456000, "9999-12-31T23:59:59-14:00"):
        refused = api.call(
            "POST",
            "/users/register-token/",
            token=client.token,
            body={**body, "expires_at": bad},
        )
        assert refused.status == 422, (bad, refused)
        assert refused.headers["content-type"] == "application/problem+json"
    strict = api.call(
        "POST", "/users/register-token/", token=client.token, body={**body, "platform_id": "3"}
    )
    assert strict.status == 422  # the rest of the model stays strict


def _reject(count: int) -> None:
    with unit_of_work() as session:
        for index in range(count):
            session.execute(
                text(
                    "INSERT INTO webhook_rejections (provider, platform, entry_index, entry_id, "
                    "entry_digest, reason, detail, received_at) VALUES ('meta', 'Facebook', "
                    ":i, :e, :d, 'id_too_long', 'account id is 300 characters; at most 255.', "
                    "now())"
                ),
                {"i": index, "e": f"entry-{index}", "d": f"{index:064x}"},
            )


def test_admins_page_through_rejected_webhook_entries(
    api: Api, admin: Person, client: Person
) -> None:
    _reject(5)
    first = api.call("GET", "/webhooks/rejections", query="limit=2", token=admin.token)
    assert first.status == 200, first
    assert [row["entry_id"] for row in first.json()] == ["entry-4", "entry-3"]
    assert set(first.json()[0]) >= {"reason", "detail", "entry_digest", "received_at"}
    seen = [row["entry_id"] for row in first.json()]
    cursor = first.headers["x-next-cursor"]
    for _ in range(5):
        page = api.call(
            "GET", "/webhooks/rejections", query=f"limit=2&cursor={cursor}", token=admin.token
        )
        seen += [row["entry_id"] for row in page.json()]
        if "x-next-cursor" not in page.headers:
            break
        cursor = page.headers["x-next-cursor"]
    assert seen == [f"entry-{i}" for i in (4, 3, 2, 1, 0)]
    other = api.call("GET", "/webhooks/rejections", query="provider=x", token=admin.token)
    assert other.json() == []
    assert api.call("GET", "/webhooks/rejections", token=client.token).status == 403
    assert api.call("GET", "/webhooks/rejections").status == 401
    for query in ("cursor=0", "cursor=9223372036854775808", "limit=0", "provider=myspace"):
        bad = api.call("GET", "/webhooks/rejections", query=query, token=admin.token)
        assert bad.status == 422, (query, bad)
        assert bad.headers["content-type"] == "application/problem+json"
