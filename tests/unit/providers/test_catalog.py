"""The catalog: vocabulary, mappings, the deprecation map and series continuity."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from socialmetrics.catalog import DEPRECATIONS, MAPPINGS, METRICS, describe, normalise, switches
from socialmetrics.platforms import Platform
from socialmetrics.providers import facebook, instagram, tiktok, x
from socialmetrics.providers.base import PointSink


def test_every_mapped_metric_is_in_the_vocabulary() -> None:
    for levels in MAPPINGS.values():
        for mapping in levels.values():
            assert set(mapping.values()) <= set(METRICS)


def test_every_deprecated_name_maps_to_the_same_metric_as_its_successor() -> None:
    for entry in DEPRECATIONS:
        levels = [lvl for lvl, m in MAPPINGS[entry.platform].items() if entry.raw_name in m]
        assert levels, entry.raw_name
        for level in levels:
            assert normalise(entry.platform, level, entry.raw_name) == normalise(
                entry.platform, level, entry.successor or ""
            )


@pytest.mark.parametrize(
    ("platform", "level", "names"),
    [
        (Platform.FACEBOOK, "account", facebook.PAGE_METRICS),
        (Platform.FACEBOOK, "post", facebook.POST_METRICS),
        (Platform.INSTAGRAM, "account", instagram.SERIES_METRICS + instagram.TOTAL_METRICS),
        (Platform.INSTAGRAM, "post", instagram.FEED_METRICS),
        (Platform.INSTAGRAM, "reel", instagram.REEL_METRICS),
        (Platform.INSTAGRAM, "story", instagram.STORY_METRICS),
        (Platform.TIKTOK, "video", [f for f in tiktok.VIDEO_FIELDS.split(",") if "count" in f]),
    ],
)
def test_clients_request_only_current_catalogued_names(
    platform: Platform, level: str, names: list[str]
) -> None:
    today = date(2026, 11, 1)
    for name in names:
        info = describe(platform, level, name)
        assert info.metric is not None, name
        assert not info.deprecated_at(today), name


def test_instagram_impressions_is_deprecated_for_views_from_2025_04_21() -> None:
    info = describe(Platform.INSTAGRAM, "account", "impressions")
    assert (info.metric, info.successor, info.deprecated_since) == (
        "impressions",
        "views",
        date(2025, 4, 21),
    )
    assert info.deprecated_at(date(2025, 4, 21))
    assert not info.deprecated_at(date(2025, 4, 20))
    assert describe(Platform.INSTAGRAM, "reel", "plays").metric == "video_views"
    assert describe(Platform.INSTAGRAM, "reel", "views").metric == "video_views"
    assert describe(Platform.FACEBOOK, "account", "page_fans").successor == "page_follows"
    assert describe(Platform.FACEBOOK, "account", "page_views_total").deprecated_since is None


def test_x_spellings_are_aliases_not_deprecations() -> None:
    info = describe(Platform.X, "post", "repost_count")
    assert info.alias_of == "retweet_count"
    assert info.deprecated_since is None
    assert info.metric == describe(Platform.X, "post", "retweet_count").metric == "shares"
    assert x.TWEET_FIELDS


def test_deprecated_and_successor_names_make_one_series_with_the_switch_recorded() -> None:
    fetched = datetime(2025, 4, 25, tzinfo=UTC)
    sink = PointSink(Platform.INSTAGRAM, "v21.0", fetched)
    sink.add("impressions", 100, period="day", collected_at=datetime(2025, 4, 19, tzinfo=UTC))
    sink.add("impressions", 110, period="day", collected_at=datetime(2025, 4, 20, tzinfo=UTC))
    sink.add("views", 130, period="day", collected_at=datetime(2025, 4, 21, tzinfo=UTC))
    sink.add("unknown_metric", 5, period="day")
    sink.add("views", None, period="day")  # not returned → no point, never 0

    assert {p.metric_type for p in sink.points} == {"impressions"}
    assert len(sink.points) == 3
    [switch] = switches(sink.points)
    assert (switch.from_raw, switch.to_raw, switch.at) == (
        "impressions",
        "views",
        datetime(2025, 4, 21, tzinfo=UTC),
    )
    assert switches(sink.points[:2]) == []


def test_point_sink_ignores_non_numbers() -> None:
    sink = PointSink(Platform.TIKTOK, "v2", datetime(2026, 1, 1, tzinfo=UTC))
    sink.add_all(
        {
            "follower_count": "12",
            "following_count": "n/a",
            "likes_count": True,
            "video_count": float("nan"),
        }
    )
    assert [(p.metric_type, int(p.value)) for p in sink.points] == [("followers", 12)]
