"""Plain factory functions that write real rows (no ORM magic, no fixtures)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def without_platform(name: str = "TikTok") -> Iterator[None]:
    """Remove a seeded platform (no accounts may use it) so a test can add it back through the
    API, and restore the seed afterwards: the same id, name and family, extra rows removed."""
    with unit_of_work() as session:
        seeded = session.execute(
            text("DELETE FROM platforms WHERE name = :n RETURNING id, name, family"), {"n": name}
        ).one()
    try:
        yield
    finally:
        with unit_of_work() as session:
            session.execute(text("DELETE FROM platforms WHERE id > 5 OR name = :n"), {"n": name})
            session.execute(
                text(
                    "INSERT INTO platforms (id, name, family) OVERRIDING SYSTEM VALUE "
                    "VALUES (:id, :name, :family)"
                ),
                dict(seeded._mapping),
            )
