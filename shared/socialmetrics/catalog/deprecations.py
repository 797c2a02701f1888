"""Renamed and removed provider metrics, with dates, so one series survives a rename.

A point keeps the provider's ``raw_name``; the normalised ``metric_type`` stays the same
across the switch. :func:`describe` tells whether a raw name is deprecated (since when, and
what replaced it) or an accepted alias; :func:`switches` finds where a stored series moved
from one raw name to another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

from socialmetrics.catalog.mappings import Level, normalise
from socialmetrics.platforms import Platform
from socialmetrics.points import MetricPoint


@dataclass(frozen=True, slots=True)
class Deprecation:
    platform: Platform
    raw_name: str
    successor: str | None  # None: removed without a replacement
    since: date | None  # None: an alias accepted side by side (no end date)
    note: str


DEPRECATIONS: tuple[Deprecation, ...] = (
    Deprecation(
        Platform.INSTAGRAM,
        "impressions",
        "views",
        date(2025, 4, 21),
        "v22 (2025-01-21); every version from 2025-04-21",
    ),
    Deprecation(
        Platform.INSTAGRAM, "plays", "views", date(2025, 4, 21), "Reels plays folded into views"
    ),
    Deprecation(
        Platform.FACEBOOK,
        "page_impressions",
        "page_media_view",
        date(2025, 11, 15),
        "blog of 2025-08-15; _paid/_viral/_nonviral removed too",
    ),
    Deprecation(
        Platform.FACEBOOK,
        "page_impressions_unique",
        "page_total_media_view_unique",
        date(2026, 6, 15),
        "v25 changelog: removed with v26, by 2026-06-15",
    ),
    Deprecation(
        Platform.FACEBOOK,
        "post_impressions",
        "post_media_view",
        date(2025, 11, 15),
        "post_impressions* → post_media_view",
    ),
    Deprecation(
        Platform.FACEBOOK,
        "post_impressions_unique",
        "post_total_media_view_unique",
        date(2026, 6, 15),
        "v25 changelog: removed with v26",
    ),
    Deprecation(
        Platform.FACEBOOK,
        "page_fans",
        "page_follows",
        date(2025, 11, 15),
        "page_fans → page_follows",
    ),
    Deprecation(
        Platform.FACEBOOK,
        "page_fan_adds_unique",
        "page_daily_follows_unique",
        date(2025, 11, 15),
        "page_fan_adds* removed",
    ),
    Deprecation(
        Platform.FACEBOOK,
        "page_fan_removes_unique",
        "page_daily_unfollows_unique",
        date(2025, 11, 15),
        "page_fan_removes* removed",
    ),
    Deprecation(
        Platform.X,
        "repost_count",
        "retweet_count",
        None,
        "2026 OpenAPI name; the data dictionary and payloads say retweet_count",
    ),
    Deprecation(
        Platform.X,
        "post_count",
        "tweet_count",
        None,
        "2026 OpenAPI name; the data dictionary and payloads say tweet_count",
    ),
)
_BY_NAME = {(d.platform, d.raw_name): d for d in DEPRECATIONS}


@dataclass(frozen=True, slots=True)
class RawMetric:
    """What the catalog knows about one raw provider name."""

    platform: Platform
    level: Level
    raw_name: str
    metric: str | None
    deprecated_since: date | None = None
    successor: str | None = None
    alias_of: str | None = None

    def deprecated_at(self, when: date) -> bool:
        return self.deprecated_since is not None and when >= self.deprecated_since


def describe(platform: Platform, level: Level, raw_name: str) -> RawMetric:
    entry = _BY_NAME.get((platform, raw_name))
    metric = normalise(platform, level, raw_name)
    if entry is None:
        return RawMetric(platform, level, raw_name, metric)
    if entry.since is None:
        return RawMetric(platform, level, raw_name, metric, alias_of=entry.successor)
    return RawMetric(platform, level, raw_name, metric, entry.since, entry.successor)


@dataclass(frozen=True, slots=True)
class Switch:
    """A series whose provider name changed: ``from_raw`` until ``at``, then ``to_raw``."""

    object_id: str
    metric_type: str
    period: str
    from_raw: str | None
    to_raw: str | None
    at: datetime


def switches(points: Iterable[MetricPoint]) -> list[Switch]:
    """Every raw-name change inside each (object, metric, period) series, in time order."""
    series: dict[tuple[str, str, str], list[MetricPoint]] = {}
    for point in points:
        series.setdefault((point.object_id, point.metric_type, point.period), []).append(point)
    found: list[Switch] = []
    for (object_id, metric, period), members in series.items():
        members.sort(key=lambda p: p.collected_at)
        for before, after in pairwise(members):
            if before.raw_name != after.raw_name:
                found.append(
                    Switch(
                        object_id,
                        metric,
                        period,
                        before.raw_name,
                        after.raw_name,
                        after.collected_at,
                    )
                )
    return found
