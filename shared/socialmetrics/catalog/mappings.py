"""Per-platform raw names → normalised metric, by object level (account, post, video, …).

Names are the provider's own field or insight names. Current and deprecated names sit side by
side so a series stays continuous across a rename; :mod:`.deprecations` says which is which.
Pinned against Graph API v25.0, X API v2, TikTok Display API v2 and TikTok API for Business
v1.3. :data:`SCALES` converts a raw value into the normalised unit (e.g. seconds → ms).
"""

from __future__ import annotations

from decimal import Decimal

from socialmetrics.platforms import Platform

Level = str  # one of socialmetrics.points.ObjectType

_X_POST = {
    "impression_count": "impressions",
    "like_count": "likes",
    "reply_count": "comments",
    "retweet_count": "shares",
    "repost_count": "shares",
    "quote_count": "quotes",
    "bookmark_count": "saves",
    "url_link_clicks": "link_clicks",
    "user_profile_clicks": "profile_views",
    "engagements": "engagements",
    "view_count": "video_views",
}

_IG_MEDIA_COMMON = {
    "like_count": "likes",
    "comments_count": "comments",
    "reach": "reach",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "saved": "saves",
    "total_interactions": "engagements",
    "follows": "follows_gained",
    "profile_visits": "profile_views",
}

MAPPINGS: dict[Platform, dict[Level, dict[str, str]]] = {
    Platform.X: {
        "account": {
            "followers_count": "followers",
            "following_count": "following",
            "tweet_count": "posts_count",
            "post_count": "posts_count",
            "listed_count": "listed",
        },
        "post": _X_POST,
    },
    Platform.FACEBOOK: {
        "account": {
            "followers_count": "followers",
            "fan_count": "page_likes",
            "page_media_view": "impressions",
            "page_impressions": "impressions",
            "page_total_media_view_unique": "reach",
            "page_impressions_unique": "reach",
            "page_post_engagements": "engagements",
            "page_follows": "followers",
            "page_fans": "followers",
            "page_daily_follows_unique": "follows_gained",
            "page_fan_adds_unique": "follows_gained",
            "page_daily_unfollows_unique": "follows_lost",
            "page_fan_removes_unique": "follows_lost",
            "page_views_total": "profile_views",
        },
        "post": {
            "shares.count": "shares",
            "comments.summary.total_count": "comments",
            "reactions.summary.total_count": "likes",
            "post_media_view": "impressions",
            "post_impressions": "impressions",
            "post_total_media_view_unique": "reach",
            "post_impressions_unique": "reach",
            "post_clicks": "link_clicks",
            "post_video_views": "video_views",
        },
    },
    Platform.INSTAGRAM: {
        "account": {
            "followers_count": "followers",
            "follows_count": "following",
            "media_count": "posts_count",
            "reach": "reach",
            "follower_count": "follows_gained",
            "views": "impressions",
            "impressions": "impressions",
            "accounts_engaged": "engaged_accounts",
            "total_interactions": "engagements",
            "likes": "likes",
            "comments": "comments",
            "shares": "shares",
            "saves": "saves",
            "replies": "replies",
            "profile_views": "profile_views",
            "website_clicks": "link_clicks",
            "profile_links_taps": "profile_link_taps",
        },
        "post": {**_IG_MEDIA_COMMON, "views": "impressions", "impressions": "impressions"},
        "reel": {
            **_IG_MEDIA_COMMON,
            "views": "video_views",
            "plays": "video_views",
            "ig_reels_video_view_total_time": "watch_time_ms",
            "ig_reels_avg_watch_time": "avg_watch_time_ms",
        },
        "story": {
            "views": "impressions",
            "impressions": "impressions",
            "reach": "reach",
            "replies": "replies",
            "shares": "shares",
            "follows": "follows_gained",
            "profile_visits": "profile_views",
            "total_interactions": "engagements",
        },
    },
    Platform.WHATSAPP: {
        "account": {
            "sent": "messages_sent",
            "delivered": "messages_delivered",
            "volume": "messages_billable",
            "cost": "messaging_cost",
            # conversation_analytics data points (legacy conversation-based pricing): the
            # field path keeps them apart from pricing_analytics' volume/cost.
            "conversation_analytics.conversation": "conversations",
            "conversation_analytics.cost": "conversation_cost",
        },
        # GET /{waba-id}/phone_numbers: string enums encoded as numbers by the client
        # (see socialmetrics.providers.whatsapp.MESSAGING_LIMITS / QUALITY_SCORES).
        "phone_number": {
            "messaging_limit_tier": "messaging_limit",
            "quality_rating": "quality_score",
        },
        "template": {
            "sent": "messages_sent",
            "delivered": "messages_delivered",
            "read": "messages_read",
            "clicked": "link_clicks",
        },
    },
    Platform.TIKTOK: {
        "account": {
            # Display API v2 /v2/user/info/
            "follower_count": "followers",
            "following_count": "following",
            "likes_count": "likes",
            "video_count": "posts_count",
            # API for Business business/get/ (snapshot followers_count; daily metrics[])
            "followers_count": "followers",
            "profile_views": "profile_views",
            "video_views": "video_views",
            "likes": "likes",
            "comments": "comments",
            "shares": "shares",
        },
        "video": {
            # Display API v2 video object
            "view_count": "video_views",
            "like_count": "likes",
            "comment_count": "comments",
            "share_count": "shares",
            # API for Business business/video/list/
            "video_views": "video_views",
            "likes": "likes",
            "comments": "comments",
            "shares": "shares",
            "reach": "reach",
            "total_time_watched": "watch_time_ms",
            "average_time_watched": "avg_watch_time_ms",
            "full_video_watched_rate": "full_watch_rate",
        },
    },
}

# Raw value * factor = value in the normalised metric's unit. TikTok's Business API gives
# total_time_watched / average_time_watched in seconds (floats); the vocabulary stores ms.
SCALES: dict[tuple[Platform, Level, str], Decimal] = {
    (Platform.TIKTOK, "video", "total_time_watched"): Decimal(1000),
    (Platform.TIKTOK, "video", "average_time_watched"): Decimal(1000),
}


def normalise(platform: Platform, level: Level, raw_name: str) -> str | None:
    """The normalised metric for a raw provider name at one object level, or ``None``."""
    return MAPPINGS.get(platform, {}).get(level, {}).get(raw_name)


def scale(platform: Platform, level: Level, raw_name: str) -> Decimal:
    """The factor turning a raw value into the normalised metric's unit (1 if none)."""
    return SCALES.get((platform, level, raw_name), Decimal(1))
