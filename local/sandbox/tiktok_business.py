"""The TikTok API for Business v1.3 (``business-api.tiktok.com``) under ``/tiktok-business``:
account and video insights of TikTok accounts that granted business scopes, and its refresh.

Its accounts are TikTok accounts; the host answers in its own envelope (the ``TikTokBusiness``
dialect): HTTP 200 with a non-zero ``code``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from local.sandbox import responses as r
from local.sandbox.core import DAY, Core, date
from local.sandbox.state import Account, Post

DIALECT = "TikTokBusiness"
PREFIX = "/tiktok-business/open_api/v1.3"
ACCOUNT_FIELDS = (
    "display_name",
    "profile_image",
    "followers_count",
    "profile_views",
    "video_views",
    "likes",
    "comments",
    "shares",
    "audience_activity",
)
DAILY_FIELDS = (
    "followers_count",
    "profile_views",
    "video_views",
    "likes",
    "comments",
    "shares",
)
VIDEO_FIELDS = (
    "item_id",
    "create_time",
    "thumbnail_url",
    "share_url",
    "caption",
    "video_duration",
    "video_views",
    "likes",
    "comments",
    "shares",
    "reach",
    "full_video_watched_rate",
    "total_time_watched",
    "average_time_watched",
)


class Dialect:
    """``{"code","message","request_id","data"}`` errors; no usage headers."""

    def auth_error(self, dead: bool) -> Response:
        return r.tiktok_business({}, 40105, "Access token is incorrect or has been revoked.")

    def fault(self, kind: str) -> Response:
        if kind == "not_found":  # answered in the Display API's envelope, as it always was
            return r.tiktok_error(404, "not_found", "The resource does not exist.")
        if kind == "forbidden":
            return r.tiktok_business({}, 40001, "No permission to operate this account.")
        return r.tiktok_business({}, 50000, "Internal system error.")

    def usage_headers(
        self, account: Account, limit: int, remaining: int, reset: float
    ) -> dict[str, str]:
        return {}

    def throttled(self, account: Account, headers: dict[str, str]) -> Response:
        return r.tiktok_business({}, 40100, "Too many requests. Please retry later.")


DIALECTS = {DIALECT: Dialect()}


def _invalid(message: str) -> r.Reply:
    return r.Reply(r.tiktok_business({}, 40002, message))


def _json(raw: str | None, name: str, default: Any) -> Any:
    if raw is None:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        raise _invalid(f"{name} must be JSON-encoded") from None


def _checked(request: Request, account: Account, scope: str, allowed: tuple[str, ...]) -> list[str]:
    """Check ``business_id``, the scope and the JSON ``fields``; return the fields."""
    q = request.query_params
    if q.get("business_id") != account.id:
        raise _invalid("Invalid business_id.")
    if scope not in account.scopes:
        raise r.Reply(r.tiktok_business({}, 40001, f"No permission: the {scope} scope is missing."))
    fields = _json(q.get("fields"), "fields", [])
    if not isinstance(fields, list) or [f for f in fields if f not in allowed]:
        raise _invalid("Invalid fields.")
    return [str(f) for f in fields]


class TikTokBusiness:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def account(self, request: Request, account: Account) -> Response:
        fields = _checked(request, account, "user.insights", ACCOUNT_FIELDS)
        q = request.query_params
        start, end = date(q.get("start_date")), date(q.get("end_date"))
        if ("start_date" in q and start is None) or ("end_date" in q and end is None):
            return r.tiktok_business({}, 40002, "Dates must be YYYY-MM-DD.")
        values: dict[str, Any] = {
            "display_name": f"Sandbox {account.id}",
            "profile_image": f"https://p16.tiktokcdn.com/{account.id}.jpeg",
            "followers_count": self.core.n(account, "followers_count", high=90_000),
        }
        data = {k: v for k, v in values.items() if k in fields or k == "display_name"}
        daily = [f for f in fields if f in DAILY_FIELDS]
        if start is not None and end is not None and daily:
            if end < start:
                return r.tiktok_business({}, 40002, "end_date must not precede start_date.")
            data["metrics"] = [
                {
                    "date": datetime.fromtimestamp(d, UTC).strftime("%Y-%m-%d"),
                    **{f: self.core.n(account, "daily", f, d, high=4000) for f in daily},
                }
                for d in range(start, end + 1, DAY)
            ]
        return r.tiktok_business(data)

    def _video(self, account: Account, post: Post, fields: list[str]) -> dict[str, Any]:
        def n(name: str, high: int) -> int:
            return self.core.n(account, post.id, name, high=high)

        views = n("video_views", 90_000)
        duration = n("duration", 180) + 5
        average = round(n("avg", 1000) / 1000 * duration, 3)
        values: dict[str, Any] = {
            "item_id": post.id,
            "create_time": str(post.created),
            "caption": f"video {post.id}",
            "video_duration": float(duration),
            "video_views": views,
            "likes": n("likes", 5000),
            "comments": n("comments", 300),
            "shares": n("shares", 200),
            "reach": n("reach", 60_000),
            "full_video_watched_rate": round(n("full", 1000) / 1000, 4),
            "total_time_watched": round(average * views, 3),
            "average_time_watched": average,
        }
        return {k: v for k, v in values.items() if k in fields or k == "item_id"}

    async def videos(self, request: Request, account: Account) -> Response:
        fields = _checked(request, account, "video.insights", VIDEO_FIELDS)
        q = request.query_params
        try:
            size = int(q.get("max_count", "20"))
            offset = int(q.get("cursor", "0"))
        except ValueError:
            return r.tiktok_business({}, 40002, "max_count and cursor must be integers.")
        if not 1 <= size <= 20 or offset < 0:
            return r.tiktok_business({}, 40002, "max_count must be between 1 and 20.")
        filters = _json(q.get("filters"), "filters", {})
        videos = account.posts
        ids = filters.get("video_ids") if isinstance(filters, dict) else None
        if ids is not None:
            if not isinstance(ids, list) or not 1 <= len(ids) <= 20:
                return r.tiktok_business({}, 40002, "video_ids must hold 1 to 20 ids.")
            wanted = {str(i) for i in ids}
            videos = [v for v in videos if v.id in wanted]
        page = videos[offset : offset + size]
        return r.tiktok_business(
            {
                "videos": [self._video(account, v, fields) for v in page],
                "cursor": offset + len(page),
                "has_more": offset + size < len(videos),
            }
        )

    async def refresh(self, request: Request) -> Response:
        state = self.core.state
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return r.tiktok_business({}, 40002, "The request body must be JSON.")
        if (
            body.get("client_id") != state.tiktok_client_key
            or body.get("client_secret") != state.tiktok_client_secret
        ):
            return r.tiktok_business({}, 40002, "Invalid client_id or client_secret.")
        if body.get("grant_type") != "refresh_token":
            return r.tiktok_business({}, 40002, "Unsupported grant_type.")
        account = state.by_refresh.get(str(body.get("refresh_token") or ""))
        if account is None or account.platform != "TikTok" or account.dead:
            return r.tiktok_business({}, 40107, "The refresh token is invalid or has expired.")
        state.rotate(account)
        return r.tiktok_business(
            {
                "access_token": account.access_token,
                "expires_in": account.expires_in or 86_400,
                "open_id": account.id,
                "refresh_token": account.refresh_token,
                "refresh_token_expires_in": account.refresh_expires_in or 31_536_000,
                "scope": ",".join(account.scopes),
                "token_type": "Bearer",
            }
        )


def routes(core: Core) -> list[Route]:
    ttb = TikTokBusiness(core)
    return [
        Route(
            f"{PREFIX}/business/get/",
            core.guarded("TikTok", "business/get", ttb.account, DIALECT),
        ),
        Route(
            f"{PREFIX}/business/video/list/",
            core.guarded("TikTok", "business/video/list", ttb.videos, DIALECT),
        ),
        Route(f"{PREFIX}/tt_user/oauth2/refresh_token/", ttb.refresh, methods=["POST"]),
    ]
