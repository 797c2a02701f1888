"""The first admin of a deployed stack, its API key handed over only through Secrets Manager.

The database of a deployed stack sits in private subnets, so the operator cannot run
``socialmetrics create-admin`` against it. The migrate function (inside the VPC) runs
:func:`create_first_admin` instead: it creates the admin and its API key and writes the key into
the secret ``ADMIN_KEY_SECRET_ID`` (named by the stack). The key never appears in a log line or
in the invocation's response; the operator reads it with ``aws secretsmanager
get-secret-value``.

- Idempotent: when an admin already exists nothing is created (the receipt says
  ``created: false``); further admins are made through ``POST /users/`` by an admin.
- :func:`rotate_admin_key` issues a new key for the admin named in the secret (or by email),
  writes it as the secret's new version, then revokes the previous key.
- The secret is written before the transaction commits: if the write fails, no user or key
  exists that nobody holds. Concurrent invocations are serialised by an advisory lock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.models import User
from socialmetrics.identity.service import create_user, issue_api_key, revoke_api_key
from socialmetrics.security.api_keys import NewApiKey

_LOCK = 0x50C1A1AD  # pg_advisory_xact_lock key: one first-admin operation at a time
_EMAIL = re.compile(r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")
KEY_LABEL = "first-admin"


class AdminSetupError(ValueError):
    """The request cannot be carried out (bad input, no admin to rotate, email taken)."""


@dataclass(frozen=True, slots=True)
class AdminKeyReceipt:
    """What the operator may see: everything except the key itself."""

    user_id: int
    email: str
    created: bool
    rotated: bool
    key_prefix: str | None
    secret_id: str
    secret_version: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "email": self.email,
            "created": self.created,
            "rotated": self.rotated,
            "key_prefix": self.key_prefix,
            "secret_id": self.secret_id,
            "secret_version": self.secret_version,
        }


def _secrets_manager() -> Any:
    from socialmetrics.aws import client

    return client("secretsmanager")


def read_admin_secret(secret_id: str) -> dict[str, Any] | None:
    """The stored admin key document, or ``None`` when the secret does not exist or is empty."""
    sm = _secrets_manager()
    try:
        stored = sm.get_secret_value(SecretId=secret_id)
    except (sm.exceptions.ResourceNotFoundException, sm.exceptions.InvalidRequestException):
        return None
    try:
        document = json.loads(stored.get("SecretString") or "{}")
    except ValueError:
        return None
    return document if isinstance(document, dict) and document.get("api_key") else None


def _write_admin_secret(secret_id: str, user: User, key: NewApiKey) -> str:
    """Store the key as the secret's new current version; returns the version id."""
    document = json.dumps(
        {
            "user_id": user.id,
            "email": user.email,
            "api_key": key.key.get_secret_value(),
            "key_prefix": key.prefix,
            "issued_at": datetime.now(UTC).isoformat(),
        }
    )
    sm = _secrets_manager()
    try:
        written = sm.put_secret_value(SecretId=secret_id, SecretString=document)
    except sm.exceptions.ResourceNotFoundException:  # no stack-made secret (local runs)
        written = sm.create_secret(
            Name=secret_id,
            Description="socialmetrics first admin API key (written by the migrate function)",
            SecretString=document,
        )
    return str(written["VersionId"])


def _first_admin(session: Session) -> User | None:
    query = select(User).where(User.role == "admin", User.erased_at.is_(None)).order_by(User.id)
    return session.scalars(query.limit(1)).first()


def _lock(session: Session) -> None:
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})


def create_first_admin(name: str, email: str, secret_id: str) -> AdminKeyReceipt:
    """Create the first admin and write its API key to ``secret_id``; a no-op when an admin
    already exists."""
    name, email = name.strip(), email.strip()
    if not name or len(name) > 255:
        raise AdminSetupError("name is required (1-255 characters)")
    if len(email) > 320 or not _EMAIL.match(email):
        raise AdminSetupError("email must be an e-mail address")
    with unit_of_work() as session:
        _lock(session)
        existing = _first_admin(session)
        if existing is not None:
            stored = read_admin_secret(secret_id)
            held = stored is not None and stored.get("user_id") == existing.id
            return AdminKeyReceipt(
                user_id=existing.id,
                email=existing.email,
                created=False,
                rotated=False,
                key_prefix=str(stored["key_prefix"]) if held and stored else None,
                secret_id=secret_id,
                secret_version=None,
            )
        taken = select(User.id).where(func.lower(User.email) == email.lower())
        if session.scalar(taken.limit(1)) is not None:
            raise AdminSetupError("a user with this email exists and is not an admin")
        view, key = create_user(session, name, email, "admin")
        user = session.get(User, view.user_id)
        assert user is not None
        version = _write_admin_secret(secret_id, user, key)
        return AdminKeyReceipt(user.id, user.email, True, False, key.prefix, secret_id, version)


def rotate_admin_key(secret_id: str, email: str | None = None) -> AdminKeyReceipt:
    """Issue a new API key for the admin in ``secret_id`` (or the admin with ``email``), store
    it as the secret's new version and revoke the key it replaces."""
    stored = read_admin_secret(secret_id)
    with unit_of_work() as session:
        _lock(session)
        query = select(User).where(User.role == "admin", User.erased_at.is_(None))
        if email:
            query = query.where(func.lower(User.email) == email.strip().lower())
        elif stored is not None:
            query = query.where(User.id == stored.get("user_id"))
        else:
            raise AdminSetupError(
                f"secret {secret_id!r} holds no admin key: pass the admin's email to rotate"
            )
        user = session.scalars(query.limit(1)).first()
        if user is None:
            raise AdminSetupError("no such admin: run admin_create first")
        key = issue_api_key(session, user.id, label=KEY_LABEL)
        version = _write_admin_secret(secret_id, user, key)
        previous = stored.get("key_prefix") if stored and stored.get("user_id") == user.id else None
        if isinstance(previous, str):
            revoke_api_key(session, previous)
        return AdminKeyReceipt(user.id, user.email, False, True, key.prefix, secret_id, version)
