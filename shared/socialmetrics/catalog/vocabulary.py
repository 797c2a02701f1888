"""The normalised metric vocabulary: one name per meaning, whatever the platform calls it.

``*_unique`` people counts (reach) are kept apart from event totals (impressions); interval
metrics (``follows_gained``) apart from snapshots (``followers``).
"""

from __future__ import annotations

METRICS: dict[str, str] = {
    # audience
    "followers": "People following the account (snapshot), or the platform's daily follower count",
    "following": "Accounts this account follows (snapshot)",
    "follows_gained": "New followers in the period",
    "follows_lost": "Followers lost in the period",
    "listed": "Lists the account is a member of (X)",
    "page_likes": "People who like the Facebook Page (legacy fan_count)",
    "posts_count": "Posts / media / videos published by the account (snapshot)",
    # content reach
    "impressions": "Times content was shown or viewed (total, not unique)",
    "reach": "Unique people who saw content",
    "views": "Times content was viewed where a platform separates views from impressions",
    "video_views": "Video plays / views",
    "watch_time_ms": "Total watch time in milliseconds",
    "avg_watch_time_ms": "Average watch time per view in milliseconds",
    "full_watch_rate": "Share of views that watched the whole video, as the platform reports it "
    "(TikTok Business full_video_watched_rate: a 0-1 fraction, not rescaled)",
    # engagement
    "likes": "Likes / reactions",
    "comments": "Comments / replies",
    "shares": "Shares / reposts (X: retweets only; quotes are separate)",
    "quotes": "Quote posts (X)",
    "saves": "Saves / bookmarks",
    "replies": "Story replies (Instagram)",
    "engagements": "Total interactions",
    "engaged_accounts": "Unique accounts that interacted",
    "profile_views": "Profile views / visits (X: profile clicks from posts, a proxy)",
    "link_clicks": "Clicks on links (post links, website taps)",
    "profile_link_taps": "Taps on the profile's contact and link buttons (Instagram)",
    # messaging (WhatsApp)
    "messages_sent": "Messages sent",
    "messages_delivered": "Messages delivered",
    "messages_read": "Messages read",
    "messages_failed": "Messages that failed",
    "messages_received": "Inbound messages received",
    "messages_billable": "Messages counted by per-message pricing",
    "messaging_cost": "Cost of messages in the account's currency (per-message pricing)",
    "conversations": "Conversations opened (WhatsApp conversation-based pricing, legacy)",
    "conversation_cost": "Cost of conversations in the account's currency (conversation-based "
    "pricing, legacy; kept apart from messaging_cost so both series survive the same day)",
    "messaging_limit": "Business-initiated conversations a phone number may open per 24 h "
    "(messaging_limit_tier: TIER_50=50, TIER_250=250, TIER_1K=1000, TIER_2K=2000, "
    "TIER_10K=10000, TIER_100K=100000; TIER_UNLIMITED and unknown tiers give no point)",
    "quality_score": "Phone number quality rating encoded GREEN=3, YELLOW=2, RED=1 "
    "(UNKNOWN / NA give no point)",
}
