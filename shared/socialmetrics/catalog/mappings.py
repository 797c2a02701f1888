"""Per-platform raw names → normalised metric, by object level (account, post, video, …).

Names are the provider's own field or insight names. Current and deprecated names sit side by
side so a series stays continuous across a rename; :mod:`.deprecations` says which is which.
Pinned against Graph API v25.0, X API v2 and TikTok Display API v2.
"""

from __future__ import annotations

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
            "follower_count": "followers",
            "following_count": "following",
            "likes_count": "likes",
            "video_count": "posts_count",
        },
        "video": {
            "view_count": "video_views",
            "like_count": "likes",
            "comment_count": "comments",
            "share_count": "shares",
        },
    },
}


def normalise(platform: Platform, level: Level, raw_name: str) -> str | None:
    """The normalised metric for a raw provider name at one object level, or ``None``."""
    return MAPPINGS.get(platform, {}).get(level, {}).get(raw_name)
