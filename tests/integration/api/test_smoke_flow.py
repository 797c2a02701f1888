"""End-to-end flows through the Mangum handler."""

from __future__ import annotations

from tests.integration.api.conftest import Person
from tests.integration.api.gateway import Api


def test_client_registers_lists_and_revokes_a_token(api: Api, client: Person) -> None:
    reply = api.call(
        "POST",
        "/users/register-token",
        token=client.token,
        body={
            "platform_user_id": "ig-1",
            "access_token": "act.secret-token-1",
            "platform_id": 3,
            "refresh_token": "rft.refresh-1",
            "expires_in": 3600,
            "scopes": ["basic"],
        },
    )
    assert reply.status == 201, reply
    listed = api.call("GET", f"/users/{client.user_id}/tokens", token=client.token)
    assert listed.status == 200, listed
    [meta] = listed.json()
    assert meta["platform"] == "Instagram"
    assert meta["status"] == "active"
    assert meta["has_refresh_token"] is True
    assert meta["key_version"] == 1
    assert "secret-token" not in listed.text
    gone = api.call(
        "DELETE", f"/users/{client.user_id}/tokens/{meta['account_id']}", token=client.token
    )
    assert gone.status == 204, gone
    again = api.call("GET", f"/users/{client.user_id}/tokens/", token=client.token).json()
    assert again[0]["status"] == "revoked"
