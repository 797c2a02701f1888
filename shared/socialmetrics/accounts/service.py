"""Seal, rotate, revoke and decrypt the platform tokens of an account (registering one is the
use case ``socialmetrics.registration``, above this package and ``webhooks``).

Each account has its own data key, wrapped by the key provider (KMS) under the encryption
context ``{user_id, platform_id, platform_user_id}``; its access and refresh tokens are sealed
with AES-256-GCM under that key with the same context as associated data. Nothing here ever
returns, logs or stores a token in clear; every decryption is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialmetrics.compliance.audit import Actor, audit
from socialmetrics.db.models import Account, PlatformRow
from socialmetrics.errors import NotFound
from socialmetrics.security import envelope
from socialmetrics.security.envelope import KeyProvider


@dataclass(frozen=True, slots=True)
class TokenMetadata:
    account_id: int
    user_id: int
    platform_id: int
    platform: str
    platform_user_id: str
    status: str
    status_reason: str | None
    expires_at: datetime | None
    refresh_expires_at: datetime | None
    scopes: list[str] | None
    has_refresh_token: bool
    last_collected_at: datetime | None
    next_collect_at: datetime
    key_version: int
    created_at: datetime
    updated_at: datetime


def account_context(account: Account) -> dict[str, str]:
    return {
        "user_id": str(account.user_id),
        "platform_id": str(account.platform_id),
        "platform_user_id": account.platform_user_id,
    }


def reveal(value: SecretStr | str) -> str:
    """The clear text of a token argument (a ``SecretStr`` or a plain string), to seal it."""
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _now() -> datetime:
    return datetime.now(UTC)


def _metadata(account: Account, platform: str) -> TokenMetadata:
    return TokenMetadata(
        account_id=account.id,
        user_id=account.user_id,
        platform_id=account.platform_id,
        platform=platform,
        platform_user_id=account.platform_user_id,
        status=account.status,
        status_reason=account.status_reason,
        expires_at=account.token_expires_at,
        refresh_expires_at=account.refresh_expires_at,
        scopes=account.scopes,
        has_refresh_token=bool(account.refresh_token_ct),
        last_collected_at=account.last_collected_at,
        next_collect_at=account.next_collect_at,
        key_version=account.key_version,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


def list_tokens(session: Session, user_id: int) -> list[TokenMetadata]:
    rows = session.execute(
        select(Account, PlatformRow.name)
        .join(PlatformRow, PlatformRow.id == Account.platform_id)
        .where(Account.user_id == user_id)
        .order_by(Account.id)
    ).all()
    return [_metadata(account, name) for account, name in rows]


def _owned_account(session: Session, user_id: int, account_id: int) -> Account:
    account = session.get(Account, account_id, with_for_update=True)
    if account is None or account.user_id != user_id:
        raise NotFound("Token not found.")
    return account


def revoke_token(session: Session, actor: Actor, user_id: int, account_id: int) -> None:
    """Revoke an account's token: the ciphertexts and wrapped key are destroyed, not kept."""
    account = _owned_account(session, user_id, account_id)
    account.status = "revoked"
    account.status_reason = "revoked through the API"
    account.access_token_ct = b""
    account.refresh_token_ct = None
    account.wrapped_key = b""
    account.token_expires_at = None
    account.refresh_expires_at = None
    account.updated_at = _now()
    audit(session, actor, "token.revoke", "account", account_id, detail={"user_id": user_id})


class TokenUnavailable(NotFound):
    title, slug = "Token unavailable", "token-unavailable"


def decrypt_credentials(
    session: Session,
    account_id: int,
    actor: Actor | str,
    purpose: str,
    provider: KeyProvider | None = None,
) -> tuple[SecretStr, SecretStr | None]:
    """The account's ``(access_token, refresh_token)`` in masked wrappers; audited."""
    provider = provider or envelope.default_provider()
    account = session.get(Account, account_id)
    if account is None or account.status == "revoked" or not account.wrapped_key:
        raise TokenUnavailable(f"Account {account_id} has no usable token.")
    context = account_context(account)
    key = provider.decrypt_data_key(account.wrapped_key, context)
    access = envelope.open_sealed(key, account.access_token_ct, context)
    refresh = (
        envelope.open_sealed(key, account.refresh_token_ct, context)
        if account.refresh_token_ct
        else None
    )
    audit(
        session,
        actor,
        "token.decrypt",
        "account",
        account_id,
        detail={"purpose": purpose, "user_id": account.user_id},
    )
    return access, refresh


def store_rotated_tokens(
    session: Session,
    account_id: int,
    access: SecretStr | str,
    refresh: SecretStr | str | None,
    expires_at: datetime | None,
    refresh_expires_at: datetime | None,
    actor: Actor | str = "collector",
    provider: KeyProvider | None = None,
) -> None:
    """Save tokens a platform handed back on refresh (``refresh=None`` keeps the stored one)."""
    provider = provider or envelope.default_provider()
    account = session.get(Account, account_id, with_for_update=True)
    if account is None or not account.wrapped_key:
        raise TokenUnavailable(f"Account {account_id} has no usable token.")
    context = account_context(account)
    key = provider.decrypt_data_key(account.wrapped_key, context)
    account.access_token_ct = envelope.seal(key, account.key_id, reveal(access), context)
    if refresh is not None:
        account.refresh_token_ct = envelope.seal(key, account.key_id, reveal(refresh), context)
        account.refresh_expires_at = refresh_expires_at
    account.token_expires_at = expires_at
    account.updated_at = _now()
    session.flush()
    audit(
        session,
        actor,
        "token.refresh_stored",
        "account",
        account_id,
        detail={"user_id": account.user_id, "refresh_rotated": refresh is not None},
    )


@dataclass(frozen=True, slots=True)
class RotationReport:
    target_key: str
    accounts: int
    platforms: int


def resolve_target_key(provider: KeyProvider, target: str | None) -> str:
    """The key id to re-wrap under: ``target`` (id, ARN or alias) resolved, or the alias's key."""
    if isinstance(provider, envelope.KmsKeyProvider):
        meta = provider.kms.describe_key(KeyId=target or provider.key_alias)["KeyMetadata"]
        return str(meta["Arn"])
    if isinstance(provider, envelope.LocalKeyProvider):
        return target or provider.key_id
    return target or ""


def rotate_wrapping_keys(
    session: Session, target: str | None = None, provider: KeyProvider | None = None
) -> RotationReport:
    """Re-wrap every account data key and platform credential under ``target`` (KMS ReEncrypt).

    Tokens are never decrypted: only the wrapped data keys change, and the sealed values'
    headers are relabelled with the new key id.
    """
    provider = provider or envelope.default_provider()
    target_key = resolve_target_key(provider, target)
    accounts = 0
    for account in session.scalars(
        select(Account).where(Account.wrapped_key != b"").order_by(Account.id).with_for_update()
    ):
        context = account_context(account)
        account.wrapped_key, key_id = provider.rewrap(account.wrapped_key, context, target_key)
        account.key_id = key_id
        account.access_token_ct = envelope.relabel(account.access_token_ct, key_id)
        if account.refresh_token_ct:
            account.refresh_token_ct = envelope.relabel(account.refresh_token_ct, key_id)
        account.key_version += 1
        accounts += 1
    platforms = 0
    from socialmetrics.accounts.platforms import platform_context

    for platform in session.scalars(
        select(PlatformRow).where(PlatformRow.api_key_ciphertext.is_not(None)).with_for_update()
    ):
        assert platform.api_key_ciphertext is not None
        platform.api_key_ciphertext = envelope.rewrap_blob(
            provider, platform.api_key_ciphertext, platform_context(platform.id), target_key
        )
        platforms += 1
    session.flush()
    audit(
        session,
        Actor.system("rotate-keys"),
        "key.rotate",
        "kms_key",
        target_key[-64:],
        detail={"accounts": accounts, "platforms": platforms},
    )
    return RotationReport(target_key, accounts, platforms)
