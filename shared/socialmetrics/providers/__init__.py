"""Platform clients (X, Facebook, Instagram, WhatsApp, TikTok) behind one interface.

    client = client_for(Platform.X, get_settings())
    result = await client.collect(AccountRef("123"), credentials, cursor)
    grant = await client.refresh(credentials, on_rotate=save_pair)

Providers know nothing of the database; see ``docs/api_integration.md``.
"""

from socialmetrics.providers.errors import (
    AuthExpired,
    MalformedResponse,
    MetricUnavailable,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    RefreshUnsupported,
    Transient,
)
from socialmetrics.providers.rate_limits import UsageSnapshot
from socialmetrics.providers.registry import client_for
from socialmetrics.providers.types import (
    AccountRef,
    CollectResult,
    Credentials,
    PlatformClient,
    RotateCallback,
    TokenGrant,
)

__all__ = [
    "AccountRef",
    "AuthExpired",
    "CollectResult",
    "Credentials",
    "MalformedResponse",
    "MetricUnavailable",
    "NotFound",
    "PermissionDenied",
    "PlatformClient",
    "ProviderError",
    "RateLimited",
    "RefreshUnsupported",
    "RotateCallback",
    "TokenGrant",
    "Transient",
    "UsageSnapshot",
    "client_for",
]
