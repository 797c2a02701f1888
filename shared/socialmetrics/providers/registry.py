"""One entry point for the collector: the client for a platform, built from settings."""

from __future__ import annotations

import httpx

from socialmetrics.config import Settings
from socialmetrics.platforms import Platform
from socialmetrics.providers.types import PlatformClient


def client_for(
    platform: Platform,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    http: httpx.AsyncClient | None = None,
) -> PlatformClient:
    """The platform's client (modules load on first use: cold start is a feature).

    ``http``: a pooled client to send through (the collector's, one per container); without
    one, each operation opens its own over ``transport``."""
    if platform is Platform.X:
        from socialmetrics.providers.x import XClient

        return XClient(settings, transport, http=http)
    if platform is Platform.FACEBOOK:
        from socialmetrics.providers.facebook import FacebookClient

        return FacebookClient(settings, transport, http=http)
    if platform is Platform.INSTAGRAM:
        from socialmetrics.providers.instagram import InstagramClient

        return InstagramClient(settings, transport, http=http)
    if platform is Platform.WHATSAPP:
        from socialmetrics.providers.whatsapp import WhatsAppClient

        return WhatsAppClient(settings, transport, http=http)
    from socialmetrics.providers.tiktok import TikTokClient

    return TikTokClient(settings, transport, http=http)
