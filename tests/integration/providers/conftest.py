"""The platform sandbox on a loopback port, and settings pointing every client at it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr

from local.sandbox.server import base_url_env, run_in_thread
from socialmetrics.config import Settings
from socialmetrics.providers import Credentials

T = TypeVar("T")
_ids = itertools.count(1)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    with run_in_thread(seed=7) as url:
        yield url


@pytest.fixture
def sandbox(sandbox_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_url, timeout=10) as client:
        client.request("DELETE", "/_sandbox/faults", json={})
        yield client
        client.request("DELETE", "/_sandbox/faults", json={})


@pytest.fixture
def settings(sandbox_url: str) -> Settings:
    overrides: dict[str, Any] = {k.lower(): v for k, v in base_url_env(sandbox_url).items()}
    return Settings.model_validate(
        {
            **overrides,
            "provider_timeout_seconds": 0.5,
            "provider_max_attempts": 2,
            "provider_backoff_min_seconds": 0.0,
            "provider_backoff_max_seconds": 0.0,
            **{
                f"{p}_horizon_days": 7 for p in ("x", "facebook", "instagram", "whatsapp", "tiktok")
            },
            "restatement_days": 7,
        }
    )


def register(sandbox: httpx.Client, platform: str, **spec: Any) -> dict[str, Any]:
    spec.setdefault("id", f"{platform.lower()}{next(_ids):06d}")
    response = sandbox.post("/_sandbox/accounts", json={"platform": platform, **spec})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def credentials(account: dict[str, Any]) -> Credentials:
    refresh = account.get("refresh_token")
    return Credentials(SecretStr(account["access_token"]), SecretStr(refresh) if refresh else None)


def fault(sandbox: httpx.Client, account: dict[str, Any], kind: str, **extra: Any) -> None:
    response = sandbox.post(
        "/_sandbox/faults",
        json={"platform": account["platform"], "account": account["id"], "kind": kind, **extra},
    )
    assert response.status_code == 201, response.text


def window_reset(sandbox: httpx.Client, account: dict[str, Any]) -> int:
    windows = [
        w
        for w in sandbox.get("/_sandbox/state").json()["windows"]
        if w["account"] == account["id"] and w["count"] > 0
    ]
    return max(int(w["reset"]) for w in windows)


def requests_to(sandbox: httpx.Client, account: dict[str, Any], path_part: str) -> list[str]:
    """Query strings of the sandbox requests this account made to paths containing a part."""
    return [
        entry["query"]
        for entry in sandbox.get("/_sandbox/state").json()["requests"]
        if entry["account"] == account["id"] and path_part in entry["path"]
    ]
