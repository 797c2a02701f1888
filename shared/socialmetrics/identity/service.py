"""Users and API keys: create (key shown once), read, update, list, log in with a key.

A client may only ever reach its own user; :func:`visible_user` answers 404 for any other id,
so the existence of other users never leaks. Admin reads of another user are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socialmetrics.compliance.audit import Actor, audit
from socialmetrics.config import get_settings
from socialmetrics.db.models import ApiKey, User
from socialmetrics.errors import Conflict, Forbidden, NotFound, Unauthorized
from socialmetrics.identity import throttle
from socialmetrics.security import access_tokens, api_keys

ROLES = ("admin", "client")


@dataclass(frozen=True, slots=True)
class UserView:
    user_id: int
    name: str
    email: str
    role: str
    created_at: datetime
    updated_at: datetime


def _view(user: User) -> UserView:
    return UserView(user.id, user.name, user.email, user.role, user.created_at, user.updated_at)


def _now() -> datetime:
    return datetime.now(UTC)


def _live_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return None if user is None or user.erased_at is not None else user


def visible_user(
    session: Session, actor: Actor, user_id: int, *, audit_action: str | None = None
) -> User:
    """The user ``user_id`` if ``actor`` may reach it, else :class:`NotFound` (no existence leak).

    When an admin reaches another user and ``audit_action`` is given, the read is audited.
    """
    if not actor.is_admin and actor.user_id != user_id:
        raise NotFound("User not found.")
    user = _live_user(session, user_id)
    if user is None:
        raise NotFound("User not found.")
    if audit_action and actor.is_admin and actor.user_id != user_id:
        audit(session, actor, audit_action, "user", user_id)
    return user


def _email_taken(session: Session, email: str, except_id: int | None = None) -> bool:
    query = select(User.id).where(func.lower(User.email) == email.lower())
    if except_id is not None:
        query = query.where(User.id != except_id)
    return session.scalar(query.limit(1)) is not None


def _flush_or_conflict(session: Session, message: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(message) from None


def issue_api_key(session: Session, user_id: int, label: str | None = None) -> api_keys.NewApiKey:
    new = api_keys.generate(live=not get_settings().is_local)
    session.add(ApiKey(user_id=user_id, prefix=new.prefix, key_hash=new.key_hash, label=label))
    session.flush()
    return new


def create_user(
    session: Session, name: str, email: str, role: str = "client"
) -> tuple[UserView, api_keys.NewApiKey]:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if _email_taken(session, email):
        raise Conflict("A user with this email already exists.")
    user = User(name=name, email=email, role=role)
    session.add(user)
    _flush_or_conflict(session, "A user with this email already exists.")
    key = issue_api_key(session, user.id, label="initial")
    session.refresh(user)
    return _view(user), key


def create_user_with_key(
    session: Session, name: str, email: str, role: str = "client"
) -> tuple[int, str]:
    """Create a user and its first API key; returns ``(user_id, api_key)`` (the key, once)."""
    user, key = create_user(session, name, email, role)
    return user.user_id, key.key.get_secret_value()


def get_user(session: Session, actor: Actor, user_id: int) -> UserView:
    return _view(visible_user(session, actor, user_id, audit_action="user.read"))


def list_users(session: Session, actor: Actor, limit: int, after_id: int | None) -> list[UserView]:
    query = select(User).where(User.erased_at.is_(None)).order_by(User.id).limit(limit)
    if after_id is not None:
        query = query.where(User.id > after_id)
    users = session.scalars(query).all()
    audit(session, actor, "user.list", "user", None, detail={"count": len(users)})
    return [_view(u) for u in users]


def update_user(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    name: str | None = None,
    email: str | None = None,
    role: str | None = None,
) -> UserView:
    user = visible_user(session, actor, user_id)
    if role is not None and role != user.role:
        if not actor.is_admin:
            raise Forbidden("Only an admin can change a role.")
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        user.role = role
    if email is not None and email.lower() != user.email.lower():
        # Only admins change addresses: a client's answer must not tell whether another user
        # holds the address (admins list every user anyway, so their 409 reveals nothing).
        if not actor.is_admin:
            raise Forbidden("Only an admin can change an email address.")
        if _email_taken(session, email, except_id=user.id):
            raise Conflict("A user with this email already exists.")
        user.email = email
    elif email is not None:
        user.email = email
    if name is not None:
        user.name = name
    user.updated_at = _now()
    _flush_or_conflict(session, "A user with this email already exists.")
    if actor.is_admin and actor.user_id != user_id:
        audit(
            session,
            actor,
            "user.update",
            "user",
            user_id,
            detail={
                "fields": sorted(
                    k
                    for k, v in (("name", name), ("email", email), ("role", role))
                    if v is not None
                )
            },
        )
    return _view(user)


def authenticate(
    session: Session, claims: access_tokens.Claims, request_id: str | None, source_ip: str | None
) -> Actor:
    """The acting user for verified JWT claims: one indexed lookup of the user and the API key
    the token was issued for. An erased or unknown user, or a key revoked (or deleted) since
    the token was issued, is 401 — so revoking a key ends its tokens at once."""
    row = session.execute(
        select(User.id, User.role)
        .join(ApiKey, ApiKey.user_id == User.id)
        .where(
            User.id == claims.user_id,
            User.erased_at.is_(None),
            ApiKey.id == claims.key_id,
            ApiKey.revoked_at.is_(None),
        )
    ).first()
    if row is None:
        raise Unauthorized("The access token is not valid.")
    return Actor(user_id=row.id, role=row.role, request_id=request_id, source_ip=source_ip)


class InvalidCredentials(Exception):
    def __init__(self, buckets: list[str]) -> None:
        super().__init__("invalid API key")
        self.buckets = buckets


def login(session: Session, api_key: str, source_ip: str | None) -> access_tokens.IssuedToken:
    """Exchange an API key for a JWT, or raise :class:`InvalidCredentials` / ``Throttled``.

    The key is checked first: a correct key always logs in, whatever its prefix's or its
    address's failure count (a key holds 256 random bits, so nobody reaches it by guessing;
    knowing a prefix must not let anyone lock its owner out). Only a wrong key meets the
    throttle: 429 while its address or prefix is blocked, else 401 and a recorded failure.
    The caller records the failure in its own transaction (see :func:`record_failed_login`),
    because this one rolls back.
    """
    now = _now()
    prefix = api_keys.prefix_of(api_key)
    buckets = [throttle.ip_bucket(source_ip)]
    if prefix:
        buckets.append(throttle.key_bucket(prefix))
        row = session.execute(
            select(ApiKey, User)
            .join(User, User.id == ApiKey.user_id)
            .where(
                ApiKey.key_hash == api_keys.hash_key(api_key),
                ApiKey.prefix == prefix,
                ApiKey.revoked_at.is_(None),
                User.erased_at.is_(None),
            )
        ).first()
        if row is not None:
            key, user = row
            key.last_used_at = now
            throttle.clear(session, throttle.key_bucket(prefix))
            return access_tokens.issue(user.id, user.role, key.id, now)
    throttle.ensure_not_blocked(session, buckets, now)
    raise InvalidCredentials(buckets)


def record_failed_login(session: Session, buckets: list[str]) -> None:
    settings = get_settings()
    throttle.record_failure(
        session, buckets, _now(), settings.login_max_failures, settings.login_window_seconds
    )


@dataclass(frozen=True, slots=True)
class ApiKeyView:
    key_id: int
    prefix: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def list_api_keys(session: Session, user_id: int) -> list[ApiKeyView]:
    rows = session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id))
    return [
        ApiKeyView(r.id, r.prefix, r.label, r.created_at, r.last_used_at, r.revoked_at)
        for r in rows
    ]


def revoke_api_key(session: Session, prefix: str) -> bool:
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = _now()
    return True
