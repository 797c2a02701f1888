"""The platform catalogue: names, queue family and the (encrypted) app credential ``api_key``.

The catalogue holds only platforms the system has a provider for (X, Facebook, Instagram,
WhatsApp, TikTok): creating or renaming to any other name is 422, because no token of such a
platform could ever be collected or matched to a webhook. A deleted platform can be added back;
names are stored in their canonical spelling (``instagram`` → ``Instagram``), which every
lookup by name relies on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from socialmetrics.compliance.audit import Actor, audit
from socialmetrics.db.models import Account, Metric, PlatformRow
from socialmetrics.errors import Conflict, InvalidInput, NotFound
from socialmetrics.platforms import FAMILY, Platform, parse_platform
from socialmetrics.security import envelope
from socialmetrics.security.envelope import KeyProvider

FAMILIES = ("x", "meta", "tiktok")


@dataclass(frozen=True, slots=True)
class PlatformView:
    platform_id: int
    name: str
    family: str
    has_api_key: bool
    created_at: datetime
    updated_at: datetime


def platform_context(platform_id: int) -> dict[str, str]:
    return {"platform_id": str(platform_id), "purpose": "platform_api_key"}


def _view(row: PlatformRow) -> PlatformView:
    return PlatformView(
        row.id,
        row.name,
        row.family,
        row.api_key_ciphertext is not None,
        row.created_at,
        row.updated_at,
    )


def list_platforms(session: Session) -> list[PlatformView]:
    return [_view(r) for r in session.scalars(select(PlatformRow).order_by(PlatformRow.id))]


def get_platform(session: Session, platform_id: int) -> PlatformRow:
    row = session.get(PlatformRow, platform_id)
    if row is None:
        raise NotFound("Platform not found.")
    return row


def find_platform(session: Session, name: str) -> PlatformRow | None:
    return session.scalar(
        select(PlatformRow).where(func.lower(PlatformRow.name) == name.strip().lower())
    )


def provider_for(name: str, field: str = "name") -> Platform:
    """The provider implementation behind ``name``; 422 (on body ``field``) when there is none."""
    try:
        return parse_platform(name)
    except ValueError:
        supported = ", ".join(p.value for p in Platform)
        raise InvalidInput(
            f"The system has no provider for {name.strip()[:50]!r}; platforms are one of "
            f"{supported}.",
            errors=[{"loc": ["body", field], "msg": f"must be one of {supported}"}],
        ) from None


def _family_for(platform: Platform, family: str | None) -> str:
    expected = FAMILY[platform]
    if family is not None and family != expected:
        raise InvalidInput(
            f"{platform.value} is collected through the {expected!r} family.",
            errors=[{"loc": ["body", "family"], "msg": f"must be {expected}"}],
        )
    return expected


def create_platform(
    session: Session,
    actor: Actor,
    name: str,
    family: str | None = None,
    api_key: SecretStr | None = None,
    provider: KeyProvider | None = None,
) -> PlatformView:
    platform = provider_for(name)
    if find_platform(session, platform.value) is not None:
        raise Conflict("A platform with this name already exists.")
    row = PlatformRow(name=platform.value, family=_family_for(platform, family))
    session.add(row)
    session.flush()
    if api_key is not None:
        row.api_key_ciphertext = envelope.seal_blob(
            provider or envelope.default_provider(),
            api_key.get_secret_value(),
            platform_context(row.id),
        )
    session.flush()
    session.refresh(row)
    audit(session, actor, "platform.create", "platform", row.id)
    return _view(row)


def update_platform(
    session: Session,
    actor: Actor,
    platform_id: int,
    *,
    name: str | None = None,
    family: str | None = None,
    api_key: SecretStr | None = None,
    clear_api_key: bool = False,
    provider: KeyProvider | None = None,
) -> PlatformView:
    row = get_platform(session, platform_id)
    renamed = name is not None and name.strip().lower() != row.name.lower()
    if renamed and name is not None:
        target = provider_for(name)
        if find_platform(session, name) is not None:
            raise Conflict("A platform with this name already exists.")
        if _in_use(session, platform_id):  # its tokens belong to the old provider
            raise Conflict("A platform with accounts or metrics cannot change provider.")
        row.name = target.value
    if family is not None or renamed:
        row.family = _family_for(provider_for(row.name), family)
    if api_key is not None:
        row.api_key_ciphertext = envelope.seal_blob(
            provider or envelope.default_provider(),
            api_key.get_secret_value(),
            platform_context(row.id),
        )
    elif clear_api_key:
        row.api_key_ciphertext = None
    row.updated_at = datetime.now(UTC)
    session.flush()
    audit(
        session,
        actor,
        "platform.update",
        "platform",
        row.id,
        detail={"api_key_changed": api_key is not None or clear_api_key},
    )
    return _view(row)


def _in_use(session: Session, platform_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(Account.platform_id == platform_id)
                | exists().where(Metric.platform_id == platform_id)
            )
        )
    )


def delete_platform(session: Session, actor: Actor, platform_id: int) -> None:
    row = get_platform(session, platform_id)
    if _in_use(session, platform_id):
        raise Conflict("The platform still has accounts or metrics.")
    session.delete(row)
    session.flush()
    audit(session, actor, "platform.delete", "platform", platform_id)


def platform_api_key(
    session: Session, platform_id: int, actor: Actor | str, provider: KeyProvider | None = None
) -> SecretStr | None:
    """The platform's app credential, decrypted (audited); ``None`` when none is stored."""
    row = get_platform(session, platform_id)
    if row.api_key_ciphertext is None:
        return None
    value = envelope.open_blob(
        provider or envelope.default_provider(), row.api_key_ciphertext, platform_context(row.id)
    )
    audit(session, actor, "platform.api_key.decrypt", "platform", platform_id)
    return value
