"""Registering a platform account's token: the use case over ``accounts`` and ``webhooks``.

Registration stores (or rotates) the account's token through ``accounts`` and, for an account
seen for the first time, applies the webhook events that arrived before it was known
(``webhooks.apply.rematch_unmatched``). It sits above both packages because ``webhooks`` applies
its events through the account lifecycle (``accounts.lifecycle``): kept inside ``accounts``,
the two packages would import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialmetrics.accounts.platforms import provider_for
from socialmetrics.accounts.service import account_context, reveal
from socialmetrics.compliance.audit import Actor, audit
from socialmetrics.db.models import Account, PlatformRow
from socialmetrics.errors import Conflict, InvalidInput
from socialmetrics.security import envelope
from socialmetrics.security.envelope import KeyProvider
from socialmetrics.webhooks.apply import rematch_unmatched


@dataclass(frozen=True, slots=True)
class Registration:
    account_id: int
    rotated: bool


def register_token(
    session: Session,
    actor: Actor,
    user_id: int,
    platform_id: int,
    platform_user_id: str,
    access_token: SecretStr | str,
    *,
    refresh_token: SecretStr | str | None = None,
    expires_at: datetime | None = None,
    refresh_expires_at: datetime | None = None,
    scopes: list[str] | None = None,
    provider: KeyProvider | None = None,
) -> Registration:
    """Store (or rotate) the token of ``user_id``'s account ``platform_user_id`` on a platform.

    The same account registered again by the same user replaces its token (fresh data key);
    an account that belongs to another user is a :class:`Conflict`.
    """
    provider = provider or envelope.default_provider()
    platform = session.get(PlatformRow, platform_id)
    if platform is None:
        raise InvalidInput(
            "Unknown platform_id.",
            errors=[{"loc": ["body", "platform_id"], "msg": "unknown platform"}],
        )
    provider_for(platform.name, field="platform_id")  # a legacy row no provider serves: 422
    account = session.scalar(
        select(Account)
        .where(Account.platform_id == platform_id, Account.platform_user_id == platform_user_id)
        .with_for_update()
    )
    if account is not None and account.user_id != user_id:
        raise Conflict("This platform account is registered to another user.")
    rotated = account is not None
    if account is None:
        account = Account(
            user_id=user_id,
            platform_id=platform_id,
            platform_user_id=platform_user_id,
            key_version=0,
        )
    context = account_context(account)
    key, wrapped, key_id = provider.generate_data_key(context)
    account.wrapped_key = wrapped
    account.key_id = key_id
    account.key_version = (account.key_version or 0) + 1
    account.access_token_ct = envelope.seal(key, key_id, reveal(access_token), context)
    account.refresh_token_ct = (
        envelope.seal(key, key_id, reveal(refresh_token), context) if refresh_token else None
    )
    account.token_expires_at = expires_at
    account.refresh_expires_at = refresh_expires_at
    account.scopes = scopes
    account.status = "active"
    account.status_reason = None
    account.next_collect_at = account.updated_at = datetime.now(UTC)
    if not rotated:
        session.add(account)
    session.flush()
    if not rotated:  # webhook events that arrived before the account was known
        rematch_unmatched(session, platform.name, platform_user_id)
    audit(
        session,
        actor,
        "token.rotate" if rotated else "token.register",
        "account",
        account.id,
        detail={"user_id": user_id, "platform_id": platform_id},
    )
    return Registration(account.id, rotated)
