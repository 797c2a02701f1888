"""Reading rate-limit state from responses: one :class:`UsageSnapshot` per call.

- X: ``x-rate-limit-limit``, ``x-rate-limit-remaining``, ``x-rate-limit-reset`` (epoch seconds).
- Meta: ``X-App-Usage`` (percent of the app budget) and ``X-Business-Use-Case-Usage``
  (percent per business object and type, plus ``estimated_time_to_regain_access`` in minutes).
- TikTok: no headers are documented; a 429 with ``error.code=rate_limit_exceeded`` is the
  signal, over a one-minute sliding window.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# Meta sends no reset time when a throttle carries no regain estimate: back off this long.
META_DEFAULT_BACKOFF = timedelta(minutes=15)
# TikTok documents a one-minute sliding window per endpoint.
TIKTOK_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class UsageSnapshot:
    """How close one call left us to the platform's limit.

    ``used_pct`` is 0-100 (Meta reports percent; X's is derived from limit/remaining).
    ``reset_at`` is when the current window ends or access returns, when the platform says so.
    """

    platform: str
    observed_at: datetime
    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None
    used_pct: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def pressure(self) -> float:
        """0.0 (idle) … 1.0 (at the wall); 0 when the platform told us nothing."""
        return min(1.0, (self.used_pct or 0.0) / 100.0)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def x_usage(headers: Mapping[str, str], now: datetime) -> UsageSnapshot | None:
    limit = _int(headers.get("x-rate-limit-limit"))
    remaining = _int(headers.get("x-rate-limit-remaining"))
    reset = _int(headers.get("x-rate-limit-reset"))
    if limit is None and remaining is None and reset is None:
        return None
    used = None
    if limit and remaining is not None:
        used = round(100.0 * (limit - remaining) / limit, 2)
    return UsageSnapshot(
        platform="X",
        observed_at=now,
        limit=limit,
        remaining=remaining,
        reset_at=datetime.fromtimestamp(reset, UTC) if reset is not None else None,
        used_pct=used,
        headers={
            k: headers[k]
            for k in ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
            if k in headers
        },
    )


def _json_header(value: str | None) -> object:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def meta_usage(headers: Mapping[str, str], now: datetime, platform: str) -> UsageSnapshot | None:
    """The tightest of ``X-App-Usage`` and every ``X-Business-Use-Case-Usage`` entry."""
    app = _json_header(headers.get("x-app-usage"))
    buc = _json_header(headers.get("x-business-use-case-usage"))
    if app is None and buc is None:
        return None
    used: list[float] = []
    regain_minutes: list[float] = []
    if isinstance(app, dict):
        used += [float(v) for k, v in app.items() if isinstance(v, int | float) and k != "type"]
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                for key in ("call_count", "total_cputime", "total_time"):
                    if isinstance(entry.get(key), int | float):
                        used.append(float(entry[key]))
                regain = entry.get("estimated_time_to_regain_access")
                if isinstance(regain, int | float) and regain > 0:
                    regain_minutes.append(float(regain))
    kept = {k: headers[k] for k in ("x-app-usage", "x-business-use-case-usage") if k in headers}
    return UsageSnapshot(
        platform=platform,
        observed_at=now,
        reset_at=now + timedelta(minutes=max(regain_minutes)) if regain_minutes else None,
        used_pct=max(used) if used else None,
        headers=kept,
    )


def meta_reset_at(headers: Mapping[str, str], now: datetime, platform: str) -> datetime:
    """When a throttled Meta caller may come back (regain estimate, else a default back-off)."""
    snapshot = meta_usage(headers, now, platform)
    if snapshot is not None and snapshot.reset_at is not None:
        return snapshot.reset_at
    return now + META_DEFAULT_BACKOFF


def retry_after(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """A generic ``Retry-After`` in seconds, if a platform (or proxy) sends one."""
    seconds = _int(headers.get("retry-after"))
    return now + timedelta(seconds=seconds) if seconds is not None else None


def tightest(snapshots: list[UsageSnapshot]) -> UsageSnapshot | None:
    """The snapshot closest to the wall (latest wins a tie)."""
    best: UsageSnapshot | None = None
    for snapshot in snapshots:
        if best is None or snapshot.pressure >= best.pressure:
            best = snapshot
    return best
