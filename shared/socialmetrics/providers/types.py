"""The values that cross the provider boundary: what the collector passes in and gets back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import SecretStr

from socialmetrics.platforms import Platform
from socialmetrics.points import MetricPoint
from socialmetrics.providers.rate_limits import UsageSnapshot

if TYPE_CHECKING:
    from socialmetrics.providers.errors import ProviderError

PartStatus = Literal["succeeded", "failed", "skipped", "deferred"]

InstagramLogin = Literal["facebook", "instagram"]


@dataclass(frozen=True, slots=True)
class AccountRef:
    """The account to collect: its id on the platform.

    ``platform_user_id`` is the X user id, the Facebook Page id, the Instagram professional
    account id, the WhatsApp Business Account (WABA) id, or the TikTok ``open_id``.
    ``login`` picks the Instagram host: ``"facebook"`` (graph.facebook.com, Facebook Login) or
    ``"instagram"`` (graph.instagram.com, Instagram Login). ``None`` = infer from the token
    (Instagram-Login tokens start with ``IG``).
    ``scopes`` are the scopes the account's token was granted (as stored at connect time).
    TikTok uses them to pick the API: a token holding a TikTok API for Business scope
    (:data:`socialmetrics.providers.tiktok_business.BUSINESS_SCOPES`) is collected through the
    Business API, any other through the Display API. Other platforms ignore them.
    """

    platform_user_id: str
    login: InstagramLogin | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Credentials:
    """A decrypted token pair. ``repr`` masks both tokens (they are ``SecretStr``).

    ``scopes``: the scopes granted with the token. ``refresh`` sees no :class:`AccountRef`, so
    TikTok routes a refresh to the Business API's token endpoint by these (see ``AccountRef``).
    """

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """A token issued by a platform; expiries come from the response, never assumed."""

    access_token: SecretStr
    refresh_token: SecretStr | None
    expires_at: datetime | None
    refresh_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret

    def as_credentials(self) -> Credentials:
        return Credentials(self.access_token, self.refresh_token, self.expires_at, self.scopes)


RotateCallback = Callable[[TokenGrant], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PartOutcome:
    """How one part of a collection went (an endpoint or a metric family).

    ``name``: e.g. ``account_fields``, ``account_insights``, ``posts``, ``post_insights``,
    ``templates``; a metric the platform refused is its own ``<part>.<metric>`` entry with
    status ``skipped``. ``retry_at``: when a ``deferred`` part may be asked again.
    """

    name: str
    status: PartStatus
    detail: str | None = None
    retry_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
        }


@dataclass(slots=True)
class CollectResult:
    """What one collection produced.

    ``points``: normalised points (absent metrics are simply missing, never 0).
    ``cursor``: the new incremental sync cursor; pass it back unchanged next time.
    ``unavailable``: raw metric names the platform refused (invalid metric, permission gap).
    ``usage``: the tightest rate-limit snapshot seen during the collection.
    ``calls``: how many HTTP requests the collection made.
    ``parts``: the outcome of every part, in the order they ran.
    ``fatal``: a token failure (or the account object gone) that stopped the collection
    after some parts had already produced points: those points are still in ``points``.
    """

    points: list[MetricPoint] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    unavailable: list[str] = field(default_factory=list)
    usage: UsageSnapshot | None = None
    calls: int = 0
    parts: list[PartOutcome] = field(default_factory=list)
    fatal: ProviderError | None = None


class PlatformClient(Protocol):
    """The uniform interface every platform client offers the collector."""

    platform: Platform
    supports_refresh: bool
    call_budget: int | None
    renew: Callable[[], Awaitable[str | None]] | None  # a fresh token after an expired answer

    async def collect(
        self, account: AccountRef, credentials: Credentials, cursor: dict[str, Any]
    ) -> CollectResult: ...

    async def refresh(
        self, credentials: Credentials, on_rotate: RotateCallback | None = None
    ) -> TokenGrant: ...
