"""Plain factory functions that write real rows (no ORM magic, no fixtures)."""

from __future__ import annotations

import secrets

from sqlalchemy import text

from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner


def make_user(name: str = "Ana", role: str = "client", email: str | None = None) -> int:
    email = email or f"{name.lower()}-{secrets.token_hex(3)}@example.com"
    with unit_of_work() as session:
        user_id: int = session.execute(
            text("INSERT INTO users (name, email, role) VALUES (:n, :e, :r) RETURNING id"),
            {"n": name, "e": email, "r": role},
        ).scalar_one()
    return user_id


def platform_id(name: str) -> int:
    with unit_of_work() as session:
        value: int = session.execute(
            text("SELECT id FROM platforms WHERE name = :n"), {"n": name}
        ).scalar_one()
    return value


def make_account(platform: str = "Instagram", user_id: int | None = None) -> Owner:
    """An account row with placeholder ciphertext (for tests that do not decrypt)."""
    user_id = user_id or make_user()
    pid = platform_id(platform)
    with unit_of_work() as session:
        account_id: int = session.execute(
            text(
                "INSERT INTO accounts (user_id, platform_id, platform_user_id, access_token_ct,"
                " wrapped_key, key_id) VALUES (:u, :p, :pu, :ct, :wk, 'test') RETURNING id"
            ),
            {
                "u": user_id,
                "p": pid,
                "pu": secrets.token_hex(6),
                "ct": b"\x00placeholder",
                "wk": b"\x00placeholder",
            },
        ).scalar_one()
    return Owner(user_id=user_id, platform_id=pid, account_id=account_id)


def give_consent(user_id: int, given: bool = True, purpose: str = "metrics_collection") -> None:
    with unit_of_work() as session:
        session.execute(
            text("INSERT INTO consents (user_id, purpose, given) VALUES (:u, :p, :g)"),
            {"u": user_id, "p": purpose, "g": given},
        )


def set_account(account_id: int, **values: object) -> None:
    """Update columns of one account (status, next_collect_at, ...)."""
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    with unit_of_work() as session:
        session.execute(
            text(f"UPDATE accounts SET {assignments} WHERE id = :account_id"),
            {**values, "account_id": account_id},
        )
