"""The five platforms the system knows, and the queue family each one is collected through."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    X = "X"
    FACEBOOK = "Facebook"
    INSTAGRAM = "Instagram"
    WHATSAPP = "WhatsApp"
    TIKTOK = "TikTok"


# One SQS queue per family: its consumer concurrency is that family's rate-limit lever.
FAMILY: dict[Platform, str] = {
    Platform.X: "x",
    Platform.FACEBOOK: "meta",
    Platform.INSTAGRAM: "meta",
    Platform.WHATSAPP: "meta",
    Platform.TIKTOK: "tiktok",
}


def parse_platform(name: str) -> Platform:
    """Case-insensitive lookup by name ("instagram" → Platform.INSTAGRAM)."""
    for platform in Platform:
        if platform.value.lower() == name.strip().lower():
            return platform
    raise ValueError(f"unknown platform {name!r}")


def collect_queue_key(platform: Platform) -> str:
    return f"collect-{FAMILY[platform]}"
