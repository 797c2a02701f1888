"""Serve the hand-written reference samples through an in-memory httpx transport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx

from socialmetrics.config import Settings

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "providers"
T = TypeVar("T")
Route = tuple[int, str | dict[str, Any], dict[str, str]]


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return data


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def settings() -> Settings:
    horizons = {
        f"{p}_horizon_days": 7 for p in ("x", "facebook", "instagram", "whatsapp", "tiktok")
    }
    return Settings.model_validate(
        {
            "provider_max_attempts": 2,
            "provider_backoff_min_seconds": 0,
            "provider_backoff_max_seconds": 0,
            "restatement_days": 7,
            **horizons,
        }
    )


def transport(routes: Callable[[httpx.Request], Route | None]) -> httpx.MockTransport:
    """Answer each request with the sample ``routes`` picks (default: an empty Graph list)."""

    def handler(request: httpx.Request) -> httpx.Response:
        picked = routes(request) or (200, {"data": []}, {})
        status, body, headers = picked
        payload = sample(body) if isinstance(body, str) else body
        return httpx.Response(status, json=payload, headers=headers)

    return httpx.MockTransport(handler)
