"""The collection pipeline's test bed: sandbox on loopback, settings pointing at it, and
onboarding of real accounts (sandbox tokens registered through the envelope-encrypting
accounts service, consent given)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from local.runtime.aws import Resources
from local.sandbox.server import base_url_env, run_in_thread
from socialmetrics.compliance.audit import Actor
from socialmetrics.db.engine import unit_of_work
from socialmetrics.registration import register_token
from tests.factories import give_consent, make_user, platform_id
from tests.support import reset_process_state

FAST = {
    "PROVIDER_TIMEOUT_SECONDS": "2",
    "PROVIDER_MAX_ATTEMPTS": "2",
    "PROVIDER_BACKOFF_MIN_SECONDS": "0",
    "PROVIDER_BACKOFF_MAX_SECONDS": "0",
    "COLLECT_RETRY_BASE_SECONDS": "0",
    "SCHEDULER_WINDOW_SECONDS": "0",
    **{f"{p}_HORIZON_DAYS": "7" for p in ("X", "FACEBOOK", "INSTAGRAM", "WHATSAPP", "TIKTOK")},
    "RESTATEMENT_DAYS": "7",
}


@pytest.fixture(scope="session")
def sandbox_server(aws_resources: Resources, database_url: str) -> Iterator[str]:
    with run_in_thread(seed=11) as url:
        yield url


@pytest.fixture
def sandbox_base(sandbox_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Settings pointing every platform client at the sandbox, for this test only."""
    for key, value in {**FAST, **base_url_env(sandbox_server)}.items():
        monkeypatch.setenv(key, value)
    reset_process_state()
    yield sandbox_server
    monkeypatch.undo()
    reset_process_state()


@pytest.fixture
def sandbox(sandbox_base: str, db: str, clean_queues: Resources) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_base, timeout=10) as client:
        client.request("DELETE", "/_sandbox/faults", json={})
        yield client
        client.request("DELETE", "/_sandbox/faults", json={})
        client.post("/_sandbox/config", json={"window_seconds": 900, "reset_windows": True})


@dataclass(frozen=True)
class Onboarded:
    platform: str
    account_id: int
    user_id: int
    remote: dict[str, Any]


def onboard(
    sandbox: httpx.Client,
    platform: str,
    *,
    user_id: int | None = None,
    consent: bool = True,
    **spec: Any,
) -> Onboarded:
    """A sandbox account whose real tokens are registered for a (new) user with consent."""
    response = sandbox.post("/_sandbox/accounts", json={"platform": platform, "posts": 6, **spec})
    assert response.status_code == 201, response.text
    remote: dict[str, Any] = response.json()
    user_id = user_id or make_user()
    if consent:
        give_consent(user_id)
    expires_in = remote.get("expires_in")
    expires_at = datetime.now(UTC) + timedelta(seconds=expires_in) if expires_in else None
    with unit_of_work() as session:
        registration = register_token(
            session,
            Actor(user_id=user_id, role="client"),
            user_id,
            platform_id(platform),
            remote["id"],
            remote["access_token"],
            refresh_token=remote.get("refresh_token"),
            expires_at=expires_at,
            scopes=remote.get("scopes"),
        )
    return Onboarded(platform, registration.account_id, user_id, remote)
