"""The demo tenant `make run` sets up: an admin, a client with consent given, and the client's
accounts on all five platforms registered with real sandbox tokens (envelope-encrypted like
any other token). Keys are written to ``.local/demo-credentials.json`` (0600)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from socialmetrics.compliance.audit import Actor
from socialmetrics.compliance.consent import has_active_consent, record_consent
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.models import PlatformRow, User
from socialmetrics.identity.service import create_user, issue_api_key
from socialmetrics.registration import register_token

ADMIN_EMAIL = "admin@demo.local"
CLIENT_EMAIL = "cliente@demo.local"
PLATFORMS = ("X", "Facebook", "Instagram", "WhatsApp", "TikTok")
SYSTEM = Actor.system("make-run")


def _user_with_fresh_key(name: str, email: str, role: str) -> tuple[int, str]:
    with unit_of_work() as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            view, key = create_user(session, name, email, role)
            return view.user_id, key.key.get_secret_value()
        fresh = issue_api_key(session, user.id, label="make run")
        return user.id, fresh.key.get_secret_value()


def _register_sandbox_accounts(sandbox_url: str, user_id: int) -> dict[str, str]:
    registered = {}
    with httpx.Client(base_url=sandbox_url, timeout=10) as sandbox, unit_of_work() as session:
        for platform in PLATFORMS:
            spec = {"platform": platform, "id": f"demo-{platform.lower()}", "posts": 12}
            remote: dict[str, Any] = sandbox.post("/_sandbox/accounts", json=spec).json()
            platform_row = session.scalar(select(PlatformRow).where(PlatformRow.name == platform))
            assert platform_row is not None
            expires_in = remote.get("expires_in")
            register_token(
                session,
                Actor(user_id=user_id, role="client", name="make-run"),
                user_id,
                platform_row.id,
                remote["id"],
                remote["access_token"],
                refresh_token=remote.get("refresh_token"),
                expires_at=(
                    datetime.now(UTC) + timedelta(seconds=expires_in) if expires_in else None
                ),
            )
            registered[platform] = remote["id"]
    return registered


def ensure_demo_tenant(sandbox_url: str, credentials_path: Path) -> dict[str, Any]:
    admin_id, admin_key = _user_with_fresh_key("Demo Admin", ADMIN_EMAIL, "admin")
    client_id, client_key = _user_with_fresh_key("Cliente Demo", CLIENT_EMAIL, "client")
    with unit_of_work() as session:
        if not has_active_consent(session, client_id):
            record_consent(session, client_id, True, SYSTEM)
    accounts = _register_sandbox_accounts(sandbox_url, client_id)
    credentials = {
        "admin": {"user_id": admin_id, "email": ADMIN_EMAIL, "api_key": admin_key},
        "client": {"user_id": client_id, "email": CLIENT_EMAIL, "api_key": client_key},
        "platform_accounts": accounts,
    }
    credentials_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(credentials_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(credentials, handle, indent=2)
    return credentials


RECEIVER_DESCRIPTION = "local receiver (make run)"


def ensure_demo_endpoint(user_id: int, url: str) -> str:
    """Point the demo client's webhook endpoint at this run's receiver (the previous run's
    endpoint is replaced); returns the signing secret so the receiver can verify."""
    from sqlalchemy import text

    from socialmetrics.config import get_settings
    from socialmetrics.signals.endpoints import create_endpoint

    with unit_of_work() as session:
        session.execute(
            text("DELETE FROM webhook_endpoints WHERE user_id = :u AND description = :d"),
            {"u": user_id, "d": RECEIVER_DESCRIPTION},
        )
        _, secret = create_endpoint(session, user_id, url, [], RECEIVER_DESCRIPTION, get_settings())
    return secret.get_secret_value()


def demo_account_id(user_id: int, platform: str) -> int | None:
    from sqlalchemy import text

    with unit_of_work() as session:
        value = session.execute(
            text(
                "SELECT a.id FROM accounts a JOIN platforms p ON p.id = a.platform_id"
                " WHERE a.user_id = :u AND p.name = :p ORDER BY a.id DESC LIMIT 1"
            ),
            {"u": user_id, "p": platform},
        ).scalar_one_or_none()
    return None if value is None else int(value)
