"""The sandbox ASGI app: every platform's real paths under one prefix per host.

    /x/...                 api.x.com            (X API v2)
    /graph/...             graph.facebook.com   (Facebook Pages, Instagram FB-login, WhatsApp)
    /instagram/...         graph.instagram.com  (Instagram Login)
    /tiktok/...            open.tiktokapis.com  (TikTok Display API v2)
    /tiktok-business/...   business-api.tiktok.com (TikTok API for Business v1.3)
    /_sandbox/...          control API for tests (accounts, faults, config, state)

Auth: the bearer (or ``access_token`` parameter, or TikTok Business's ``Access-Token``
header) must belong to a registered account, and the object asked for must belong to that
account. Quotas: ``quota`` calls per ``window_seconds`` per account and endpoint group, with
each platform's headers and throttle answers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.sandbox import responses as r
from local.sandbox.state import Account, Fault, Post, SandboxState, phone_profile, value

Handler = Callable[[Request, Account], Awaitable[Response]]

DAY = 86_400
X_USER_METRICS = (
    "followers_count",
    "following_count",
    "tweet_count",
    "listed_count",
    "like_count",
    "media_count",
)
FB_PAGE_METRICS = {
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_follows",
    "page_daily_follows_unique",
    "page_daily_unfollows_unique",
    "page_views_total",
}
FB_POST_METRICS = {
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_video_views",
    "post_reactions_by_type_total",
}
IG_SERIES = {"reach", "follower_count"}
IG_TOTALS = {
    "views",
    "reach",
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
    "profile_views",
    "website_clicks",
    "profile_links_taps",
    "follows_and_unfollows",
}
IG_FEED = {
    "views",
    "reach",
    "likes",
    "comments",
    "shares",
    "saved",
    "total_interactions",
    "follows",
    "profile_visits",
    "profile_activity",
}
IG_REELS = IG_FEED | {"ig_reels_avg_watch_time", "ig_reels_video_view_total_time"}
IG_STORY = {
    "views",
    "reach",
    "replies",
    "shares",
    "follows",
    "profile_visits",
    "total_interactions",
    "navigation",
}
TIKTOK_USER = (
    "open_id",
    "union_id",
    "display_name",
    "avatar_url",
    "username",
    "bio_description",
    "is_verified",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
)
TIKTOK_VIDEO = (
    "id",
    "create_time",
    "title",
    "video_description",
    "duration",
    "share_url",
    "cover_image_url",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)
TT_BUSINESS = "TikTokBusiness"  # the guard's dialect for business-api.tiktok.com
TTB = "/tiktok-business/open_api/v1.3"
TT_BUSINESS_ACCOUNT = (
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
TT_BUSINESS_DAILY = (
    "followers_count",
    "profile_views",
    "video_views",
    "likes",
    "comments",
    "shares",
)
TT_BUSINESS_VIDEO = (
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
WA_PHONE_FIELDS = (
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "messaging_limit_tier",
    "throughput",
)
WABA_ANALYTICS = ("analytics", "pricing_analytics", "conversation_analytics")
# conversation_analytics rows per day: (category, type, cost per conversation)
WA_CONVERSATIONS = (("SERVICE", "FREE_ENTRY_POINT", 0.0), ("UTILITY", "REGULAR", 0.008))
BUC_TYPE = {
    "Facebook": ("pages", 80001),
    "Instagram": ("instagram", 80002),
    "WhatsApp": ("whatsapp_business_management", 80008),
}


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        return -1


def _graph_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _fields(raw: str | None) -> list[str]:
    """Top-level names of a Graph ``fields`` list (nested ``a.b(c)`` syntax kept whole)."""
    out, depth, current = [], 0, ""
    for char in raw or "":
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        out.append(current.strip())
    return out


def _epoch(raw: str | None) -> int | None:
    if raw is None:
        return None
    if raw.isdigit():
        return int(raw)
    try:
        return int(datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _date(raw: str | None) -> int | None:
    """``YYYY-MM-DD`` → that UTC day's epoch seconds."""
    try:
        return int(datetime.strptime(raw or "", "%Y-%m-%d").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None


async def _form(request: Request) -> dict[str, str]:
    """A form-encoded body (without python-multipart: these endpoints take urlencoded only)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


class Sandbox:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.inbox_log: list[dict[str, Any]] = []

    # --- the guard every platform call passes -------------------------------------------------
    def _token(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        if "access-token" in request.headers:  # TikTok API for Business
            return request.headers["access-token"].strip()
        return request.query_params.get("access_token")

    def _auth_error(self, platform: str, dead: bool) -> Response:
        if platform == TT_BUSINESS:
            return r.tiktok_business({}, 40105, "Access token is incorrect or has been revoked.")
        if platform == "X":
            return r.x_problem(401, "about:blank", "Unauthorized", "Unauthorized")
        if platform == "TikTok":
            return r.tiktok_error(
                401,
                "access_token_invalid",
                "The access token is invalid or not found in the request.",
            )
        return r.graph_error("token_dead" if dead else "bad_token")

    async def guard(
        self,
        request: Request,
        platform: str | tuple[str, ...],
        group: str,
        handler: Handler,
        dialect: str | None = None,
    ) -> Response:
        """``dialect`` names the error envelope when a host differs from its platform's
        default (TikTok API for Business: ``TT_BUSINESS``)."""
        platforms = platform if isinstance(platform, tuple) else (platform,)
        token = self._token(request)
        account = self.state.by_access.get(token or "")
        shown = platforms[0]
        if account is not None:
            shown = account.platform
        if account is None or account.platform not in platforms or account.dead:
            return self._auth_error(dialect or shown, dead=account is not None and account.dead)
        self.state.requests.append(
            {
                "platform": account.platform,
                "account": account.id,
                "path": request.url.path,
                "query": str(request.url.query),
            }
        )
        if account.latency_ms:
            await asyncio.sleep(account.latency_ms / 1000)
        fault = self.state.fault_for(account, request.url.path)
        if fault is not None:
            answer = await self._fault(fault, account, dialect)
            if answer is not None:
                return answer
        limit, remaining, reset = self.state.charge(account, group)
        headers = self._usage_headers(account, limit, remaining, reset)
        if (
            remaining <= 0
            and self.state.windows[(account.platform, account.id, group)].count > limit
        ):
            return self._throttled(account, headers, reset, dialect)
        try:
            response = await handler(request, account)
        except r.Reply as reply:
            response = reply.response
        response.headers.update(headers)
        return response

    async def _fault(
        self, fault: Fault, account: Account, dialect: str | None = None
    ) -> Response | None:
        if fault.kind == "timeout":
            await asyncio.sleep(fault.seconds)
            return None
        if fault.kind == "malformed":
            return Response(r.MALFORMED, status_code=200, media_type="application/json")
        if fault.kind == "token_dead":
            account.dead = True
            return self._auth_error(dialect or account.platform, dead=True)
        if fault.kind == "not_found":
            if account.platform == "X":
                return r.x_problem(
                    404, "resource-not-found", "Not Found Error", "Could not find the resource."
                )
            if account.platform == "TikTok":
                return r.tiktok_error(404, "not_found", "The resource does not exist.")
            return r.graph_error("not_found", status=404)
        if fault.kind == "throttle":
            limit, _, reset = self.state.charge(account, "fault")
            headers = self._usage_headers(account, limit, 0, reset)
            return self._throttled(account, headers, reset, dialect)
        if dialect == TT_BUSINESS:
            if fault.kind == "forbidden":
                return r.tiktok_business({}, 40001, "No permission to operate this account.")
            return r.tiktok_business({}, 50000, "Internal system error.")
        if fault.kind == "forbidden":
            if account.platform == "X":
                return r.x_problem(
                    403,
                    "client-forbidden",
                    "Client Forbidden",
                    "This request must be made using an approved developer "
                    "account enrolled in the requested endpoint.",
                )
            if account.platform == "TikTok":
                return r.tiktok_error(
                    403, "scope_permission_missed", "The user did not authorize the scope required."
                )
            return r.graph_error("forbidden")
        # server_error
        if account.platform == "X":
            return r.x_problem(503, "about:blank", "Service Unavailable", "Service Unavailable")
        if account.platform == "TikTok":
            return r.tiktok_error(500, "internal_error", "Something went wrong.")
        return r.graph_error("server_error")

    def _usage_headers(
        self, account: Account, limit: int, remaining: int, reset: float
    ) -> dict[str, str]:
        if account.platform == "X":
            return {
                "x-rate-limit-limit": str(limit),
                "x-rate-limit-remaining": str(remaining),
                "x-rate-limit-reset": str(int(reset)),
            }
        if account.platform == "TikTok":
            return {}
        used = min(100, round(100 * (limit - remaining) / max(limit, 1)))
        regain = max(1, -(-int(reset - time.time()) // 60)) if remaining <= 0 else 0
        kind, _ = BUC_TYPE[account.platform]
        buc = {
            account.id: [
                {
                    "type": kind,
                    "call_count": used,
                    "total_cputime": used // 2,
                    "total_time": used // 2,
                    "estimated_time_to_regain_access": regain,
                }
            ]
        }
        return {
            "x-business-use-case-usage": json.dumps(buc),
            "x-app-usage": json.dumps(
                {"call_count": used // 4, "total_cputime": 1, "total_time": 1}
            ),
        }

    def _throttled(
        self, account: Account, headers: dict[str, str], reset: float, dialect: str | None = None
    ) -> Response:
        if dialect == TT_BUSINESS:
            return r.tiktok_business({}, 40100, "Too many requests. Please retry later.")
        if account.platform == "X":
            return r.x_problem(
                429,
                "rate-limit-exceeded",
                "Too Many Requests",
                "Too Many Requests",
                headers=headers,
            )
        if account.platform == "TikTok":
            return r.tiktok_error(
                429, "rate_limit_exceeded", "API rate limit was exceeded, please try again later."
            )
        kind, code = BUC_TYPE[account.platform]
        return r.graph_error(
            "throttle",
            message=f"(#{code}) There have been too many calls "
            f"from this {kind} account. Wait a bit and try again.",
            code=code,
            status=400,
            headers=headers,
        )

    def _owned(self, account: Account, object_id: str) -> Post:
        found = self.state.objects.get(object_id)
        if found is None or found[0] is not account:
            raise r.Reply(self._not_found(account, object_id))
        return found[1]

    def _not_found(self, account: Account, object_id: str) -> Response:
        if account.platform == "TikTok":
            return r.tiktok_error(400, "invalid_params", f"video {object_id} not found")
        return r.graph_error("not_found")

    def _n(self, account: Account, *parts: object, low: int = 0, high: int = 1000) -> int:
        if parts and parts[0] in account.counters:
            return int(account.counters[str(parts[0])])
        return value(self.state.seed, account.platform, account.id, *parts, low=low, high=high)

    # ==========================================================================================
    # X
    # ==========================================================================================
    def _x_user(self, account: Account) -> dict[str, Any]:
        metrics = {name: self._n(account, name, low=10, high=50_000) for name in X_USER_METRICS}
        return {
            "id": account.id,
            "name": f"Sandbox {account.id}",
            "username": f"sandbox_{account.id}",
            "public_metrics": metrics,
        }

    async def x_me(self, request: Request, account: Account) -> Response:
        return JSONResponse({"data": self._x_user(account)})

    async def x_user(self, request: Request, account: Account) -> Response:
        user_id = request.path_params["id"]
        other = self.state.accounts.get(("X", user_id))
        if other is None:
            return JSONResponse(
                {
                    "errors": [
                        {
                            "value": user_id,
                            "detail": f"Could not find user with id: [{user_id}].",
                            "title": "Not Found Error",
                            "resource_type": "user",
                            "parameter": "id",
                            "resource_id": user_id,
                            "type": "https://api.x.com/2/problems/resource-not-found",
                        }
                    ]
                }
            )
        return JSONResponse({"data": self._x_user(other)})

    def _x_post(
        self, owner: Account, post: Post, viewer: Account, media: list[Any]
    ) -> dict[str, Any]:
        def n(name: str, hi: int = 1000) -> int:
            return self._n(owner, post.id, name, high=hi)

        body: dict[str, Any] = {
            "id": post.id,
            "created_at": _iso(post.created),
            "text": f"post {post.id}",
            "author_id": owner.id,
            "public_metrics": {
                "retweet_count": n("rt", 50),
                "reply_count": n("re", 30),
                "like_count": n("like", 500),
                "quote_count": n("q", 10),
                "bookmark_count": n("bm", 20),
                "impression_count": n("imp", 20_000),
            },
        }
        if viewer is owner and post.created >= time.time() - 30 * DAY:
            body["non_public_metrics"] = {
                "impression_count": n("imp", 20_000),
                "url_link_clicks": n("clk", 100),
                "user_profile_clicks": n("upc", 50),
                "engagements": n("eng", 900),
            }
        if int(post.id) % 4 == 0:
            key = f"13_{post.id}"
            body["attachments"] = {"media_keys": [key]}
            media.append(
                {
                    "media_key": key,
                    "type": "video",
                    "public_metrics": {"view_count": n("views", 30_000)},
                }
            )
        return body

    async def x_tweets(self, request: Request, account: Account) -> Response:
        q = request.query_params
        if request.path_params["id"] != account.id:
            return r.x_problem(
                403,
                "not-authorized-for-resource",
                "Not Authorized",
                "Sorry, you are not authorized to see this user's posts.",
            )
        try:
            size = int(q.get("max_results", "10"))
        except ValueError:
            size = -1
        if not 5 <= size <= 100:
            return r.x_problem(
                400,
                "invalid-request",
                "Invalid Request",
                "The `max_results` query parameter value is not between 5 and 100",
            )
        posts = [p for p in account.posts if p.kind == "post"]
        if q.get("since_id"):
            posts = [p for p in posts if int(p.id) > int(q["since_id"])]
        if q.get("until_id"):
            posts = [p for p in posts if int(p.id) < int(q["until_id"])]
        start, end = _epoch(q.get("start_time")), _epoch(q.get("end_time"))
        posts = [
            p
            for p in posts
            if (start is None or p.created >= start) and (end is None or p.created < end)
        ][:3200]
        offset = _offset(q.get("pagination_token"))
        if offset < 0:
            return r.x_problem(
                400,
                "invalid-request",
                "Invalid Request",
                "The `pagination_token` query parameter value is invalid",
            )
        page = posts[offset : offset + size]
        if not page:
            return JSONResponse({"meta": {"result_count": 0}})
        media: list[Any] = []
        meta: dict[str, Any] = {
            "result_count": len(page),
            "newest_id": page[0].id,
            "oldest_id": page[-1].id,
        }
        if offset + size < len(posts):
            meta["next_token"] = _cursor(offset + size)
        if offset:
            meta["previous_token"] = _cursor(max(0, offset - size))
        body: dict[str, Any] = {
            "data": [self._x_post(account, p, account, media) for p in page],
            "meta": meta,
        }
        if media:
            body["includes"] = {"media": media}
        return JSONResponse(body)

    async def x_lookup(self, request: Request, account: Account) -> Response:
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return r.x_problem(
                400,
                "invalid-request",
                "Invalid Request",
                "The `ids` query parameter value must hold 1 to 100 ids",
            )
        data, errors, media = [], [], []  # type: ignore[var-annotated]
        for post_id in ids:
            found = self.state.objects.get(post_id)
            if found is None or found[0].platform != "X":
                errors.append(
                    {
                        "value": post_id,
                        "detail": f"Could not find tweet with ids: [{post_id}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": post_id,
                        "type": "https://api.x.com/2/problems/resource-not-found",
                    }
                )
                continue
            data.append(self._x_post(found[0], found[1], account, media))
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if media:
            body["includes"] = {"media": media}
        if errors:
            body["errors"] = errors
        return JSONResponse(body)

    async def x_token(self, request: Request) -> Response:
        form = await _form(request)
        basic = request.headers.get("authorization", "")
        expected = base64.b64encode(
            f"{self.state.x_client_id}:{self.state.x_client_secret}".encode()
        ).decode()
        if basic and basic != f"Basic {expected}":
            return r.oauth_error(
                "unauthorized_client", "Missing valid authorization header", status=401
            )
        if not basic and form.get("client_id") != self.state.x_client_id:
            return r.oauth_error("invalid_request", "Missing required parameter [client_id].")
        if form.get("grant_type") != "refresh_token":
            return r.oauth_error("invalid_request", "Unsupported grant_type")
        presented = str(form.get("refresh_token") or "")
        account = self.state.by_refresh.get(presented)
        if account is None:
            for reused in self.state.accounts.values():
                if reused.platform == "X" and presented in reused.retired_refresh:
                    reused.dead = True  # reuse of a rotated token revokes the chain
            return r.oauth_error("invalid_request", "Value passed for the token was invalid.")
        self.state.rotate(account)
        return JSONResponse(
            {
                "token_type": "bearer",
                "expires_in": account.expires_in or 7200,
                "access_token": account.access_token,
                "scope": " ".join(account.scopes),
                "refresh_token": account.refresh_token,
            }
        )

    # ==========================================================================================
    # Graph (Facebook Pages, Instagram, WhatsApp) and graph.instagram.com
    # ==========================================================================================
    def _check_host(self, request: Request, account: Account) -> None:
        on_ig_host = request.url.path.startswith("/instagram/")
        ig_login = account.platform == "Instagram" and account.login == "instagram"
        if on_ig_host != ig_login:
            raise r.Reply(r.graph_error("bad_token"))

    async def graph_object(self, request: Request, account: Account) -> Response:
        self._check_host(request, account)
        object_id = request.path_params["id"]
        fields = _fields(request.query_params.get("fields")) or ["id"]
        if object_id in ("me", account.id):
            return JSONResponse(self._graph_account(account, fields))
        post = self._owned(account, object_id)
        return JSONResponse({"id": post.id, "timestamp": _graph_time(post.created)})

    def _graph_account(self, account: Account, fields: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": account.id}
        table: dict[str, dict[str, Any]] = {
            "Facebook": {
                "name": f"Sandbox Page {account.id}",
                "followers_count": self._n(account, "followers_count", high=90_000),
                "fan_count": self._n(account, "fan_count", high=80_000),
                "access_token": account.access_token,
            },
            "Instagram": {
                "username": f"sandbox_{account.id}",
                "followers_count": self._n(account, "followers_count", high=90_000),
                "follows_count": self._n(account, "follows_count", high=900),
                "media_count": len([p for p in account.posts if p.kind != "STORY"]),
            },
            "WhatsApp": {"name": f"Sandbox WABA {account.id}", "currency": "USD"},
        }
        known = table[account.platform]
        for name in fields:
            head = name.split(".", 1)[0]
            if account.platform == "WhatsApp" and head in account.denied_metrics:
                raise r.Reply(r.graph_error("forbidden"))
            if account.platform == "WhatsApp" and head in account.invalid_metrics:
                raise r.Reply(self._nonexisting(head, "WhatsAppBusinessAccount"))
            if head in WABA_ANALYTICS and account.platform == "WhatsApp":
                out[head] = self._waba_analytics(account, head, name)
            elif head in known:
                out[head] = known[head]
            elif head != "id":
                raise r.Reply(self._nonexisting(head, account.platform))
        return out

    @staticmethod
    def _nonexisting(field: str, node: str) -> Response:
        return r.graph_error(
            "field",
            message=f"(#100) Tried accessing nonexisting field ({field}) on node type ({node})",
            code=100,
        )

    def _waba_analytics(self, account: Account, head: str, spec: str) -> dict[str, Any]:
        args = dict(re.findall(r"\.(\w+)\(([^)]*)\)", spec))
        try:
            start, end = int(args["start"]), int(args["end"])
        except (KeyError, ValueError):
            raise r.Reply(
                r.graph_error("param", message=f"(#100) {head} requires start and end", code=100)
            ) from None
        days = range(start - start % DAY, end, DAY)
        if head == "conversation_analytics":
            rows: list[dict[str, Any]] = []
            for d in days:
                for category, kind, rate in WA_CONVERSATIONS:
                    count = self._n(account, "conversation", category, d, high=120)
                    rows.append(
                        {
                            "start": d,
                            "end": d + DAY,
                            "conversation": count,
                            "cost": round(count * rate, 4),
                            "conversation_category": category,
                            "conversation_type": kind,
                        }
                    )
            return {"data": [{"data_points": rows}]}
        if head == "analytics":
            series: list[dict[str, Any]] = [
                {
                    "start": d,
                    "end": d + DAY,
                    "sent": (sent := self._n(account, "sent", d, high=500)),
                    "delivered": sent - self._n(account, "undelivered", d, high=min(sent, 20)),
                }
                for d in days
            ]
            return {
                "phone_numbers": ["15550001111"],
                "granularity": args.get("granularity", "DAY"),
                "data_points": series,
            }
        points: list[dict[str, Any]] = []
        for d in days:
            for category in ("MARKETING", "UTILITY"):
                volume = self._n(account, "volume", category, d, high=200)
                points.append(
                    {
                        "start": d,
                        "end": d + DAY,
                        "volume": volume,
                        "cost": round(volume * (0.025 if category == "MARKETING" else 0.004), 3),
                        "pricing_category": category,
                        "pricing_type": "REGULAR",
                    }
                )
        return {"data": [{"data_points": points}]}

    def _page(self, request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
        q = request.query_params
        try:
            limit = max(1, min(100, int(q.get("limit", "25"))))
        except ValueError:
            limit = 25
        offset = _offset(q.get("after"))
        if offset < 0:
            raise r.Reply(r.graph_error("param", message="(#100) Invalid cursor", code=100))
        chunk = items[offset : offset + limit]
        body: dict[str, Any] = {"data": chunk}
        if chunk:
            paging: dict[str, Any] = {
                "cursors": {"before": _cursor(offset), "after": _cursor(offset + len(chunk))}
            }
            if offset + limit < len(items):
                paging["next"] = str(
                    request.url.include_query_params(after=_cursor(offset + limit))
                )
            body["paging"] = paging
        return body

    async def graph_edge(self, request: Request, account: Account) -> Response:
        self._check_host(request, account)
        object_id, edge = request.path_params["id"], request.path_params["edge"]
        if object_id in ("me", account.id):
            if edge == "insights":
                return JSONResponse(self._account_insights(request, account))
            if edge == "template_analytics" and account.platform == "WhatsApp":
                return JSONResponse(self._template_analytics(request, account))
            items = self._edge_items(request, account, edge)
            return JSONResponse(self._page(request, items))
        post = self._owned(account, object_id)
        if edge != "insights":
            return r.graph_error("not_found")
        return JSONResponse(self._object_insights(request, account, post))

    def _edge_items(self, request: Request, account: Account, edge: str) -> list[dict[str, Any]]:
        fields = _fields(request.query_params.get("fields"))
        if account.platform == "Facebook" and edge in ("posts", "published_posts", "feed"):
            return [self._fb_post(account, p, fields) for p in account.posts]
        if account.platform == "Instagram" and edge in ("media", "stories"):
            wanted = [p for p in account.posts if (p.kind == "STORY") == (edge == "stories")]
            return [self._ig_media(account, p, fields) for p in wanted]
        if account.platform == "WhatsApp" and edge == "phone_numbers":
            return [self._wa_phone(account, p, fields) for p in account.phones]
        if account.platform == "WhatsApp" and edge == "message_templates":
            return [
                {
                    "id": p.id,
                    "name": f"template_{p.id}",
                    "status": "APPROVED",
                    "language": "en_US",
                    "category": "UTILITY",
                }
                for p in account.posts
            ]
        raise r.Reply(r.graph_error("not_found"))

    def _wa_phone(self, account: Account, phone: str, fields: list[str]) -> dict[str, Any]:
        for name in fields:
            if name in account.denied_metrics:
                raise r.Reply(r.graph_error("forbidden"))
            if name in account.invalid_metrics or name not in WA_PHONE_FIELDS:
                raise r.Reply(self._nonexisting(name, "WhatsAppBusinessPhoneNumber"))
        tier, quality = phone_profile(self.state.seed, account.id, phone)
        values: dict[str, Any] = {
            "id": phone,
            "display_phone_number": f"+1 555-{phone[-7:-4]}-{phone[-4:]}",
            "verified_name": f"Sandbox {account.id}",
            "quality_rating": quality,
            "messaging_limit_tier": tier,
            "throughput": {"level": "STANDARD"},
        }
        return {k: v for k, v in values.items() if k in fields or k == "id"}

    def _fb_post(self, account: Account, post: Post, fields: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": post.id, "created_time": _graph_time(post.created)}
        for name in fields:
            head = name.split(".", 1)[0]
            if head == "shares":
                out["shares"] = {"count": self._n(account, post.id, "shares", high=80)}
            elif head in ("comments", "reactions"):
                out[head] = {
                    "data": [],
                    "summary": {"total_count": self._n(account, post.id, head, high=400)},
                }
            elif head == "permalink_url":
                out[head] = f"https://www.facebook.com/{post.id}"
        return out

    def _ig_media(self, account: Account, post: Post, fields: list[str]) -> dict[str, Any]:
        product = {"REELS": "REELS", "STORY": "STORY"}.get(post.kind, "FEED")
        values = {
            "id": post.id,
            "timestamp": _graph_time(post.created),
            "media_type": "VIDEO" if product != "FEED" else "IMAGE",
            "media_product_type": product,
            "like_count": self._n(account, post.id, "like_count", high=700),
            "comments_count": self._n(account, post.id, "comments_count", high=90),
            "permalink": f"https://www.instagram.com/p/{post.id}/",
        }
        return {k: v for k, v in values.items() if k in fields or k == "id"}

    def _metrics(self, request: Request, account: Account, valid: set[str]) -> list[str]:
        names = [m for m in request.query_params.get("metric", "").split(",") if m]
        if not names:
            raise r.Reply(
                r.graph_error("param", message="(#100) The parameter metric is required", code=100)
            )
        for name in names:
            if name not in valid or name in account.invalid_metrics:
                raise r.Reply(r.graph_error("invalid_metric"))
            if name in account.denied_metrics:
                raise r.Reply(r.graph_error("not_enough_viewers"))
        return names

    def _account_insights(self, request: Request, account: Account) -> dict[str, Any]:
        q = request.query_params
        since, until = _epoch(q.get("since")), _epoch(q.get("until"))
        now = int(time.time())
        until = until if until is not None else now - now % DAY
        since = since if since is not None else until - 2 * DAY
        if account.platform == "Facebook":
            names = self._metrics(request, account, FB_PAGE_METRICS)
            if until - since > 90 * DAY:
                raise r.Reply(
                    r.graph_error(
                        "param",
                        message="(#100) There cannot be more than 90 days between since and until",
                        code=100,
                    )
                )
            return {
                "data": [
                    self._series(account, n, q.get("period", "day"), since, until) for n in names
                ],
                "paging": {
                    "previous": str(
                        request.url.include_query_params(since=since - (until - since), until=since)
                    ),
                    "next": str(
                        request.url.include_query_params(since=until, until=until + (until - since))
                    ),
                },
            }
        if account.platform != "Instagram":
            raise r.Reply(r.graph_error("not_found"))
        if q.get("metric_type") == "total_value":
            names = self._metrics(request, account, IG_TOTALS)
            return {
                "data": [
                    {
                        "name": n,
                        "period": q.get("period", "day"),
                        "title": n,
                        "description": n,
                        "id": f"{account.id}/insights/{n}/day",
                        "total_value": {
                            "value": sum(
                                self._n(account, n, d, high=3000)
                                for d in range(since - since % DAY, until, DAY)
                            )
                        },
                    }
                    for n in names
                ]
            }
        names = self._metrics(request, account, IG_SERIES)
        return {"data": [self._series(account, n, "day", since, until) for n in names]}

    def _series(
        self, account: Account, name: str, period: str, since: int, until: int
    ) -> dict[str, Any]:
        days = range(since - since % DAY, until, DAY)
        return {
            "name": name,
            "period": period,
            "title": name,
            "description": name,
            "id": f"{account.id}/insights/{name}/{period}",
            "values": [
                {"value": self._n(account, name, d, high=5000), "end_time": _graph_time(d + DAY)}
                for d in days
            ],
        }

    def _object_insights(self, request: Request, account: Account, post: Post) -> dict[str, Any]:
        valid = {"Facebook": FB_POST_METRICS, "WhatsApp": set()}.get(account.platform) or {
            "REELS": IG_REELS,
            "STORY": IG_STORY,
        }.get(post.kind, IG_FEED)
        names = self._metrics(request, account, valid)
        for name in names:  # "REELS:profile_visits": a metric one media product type rejects
            if f"{post.kind}:{name}" in account.invalid_metrics:
                raise r.Reply(r.graph_error("invalid_metric"))
        return {
            "data": [
                {
                    "name": n,
                    "period": "lifetime",
                    "title": n,
                    "description": n,
                    "id": f"{post.id}/insights/{n}/lifetime",
                    "values": [{"value": self._n(account, post.id, n, high=9000)}],
                }
                for n in names
            ]
        }

    def _template_analytics(self, request: Request, account: Account) -> dict[str, Any]:
        q = request.query_params
        start, end = _epoch(q.get("start")), _epoch(q.get("end"))
        try:
            ids = json.loads(q.get("template_ids", "[]"))
        except ValueError:
            ids = None
        if start is None or end is None or not isinstance(ids, list) or not 1 <= len(ids) <= 10:
            raise r.Reply(
                r.graph_error(
                    "param",
                    message="(#100) template_ids must list 1 to "
                    "10 templates; start and end are required",
                    code=100,
                )
            )
        points = []
        for template in ids:
            self._owned(account, str(template))
            for d in range(start - start % DAY, end, DAY):
                sent = self._n(account, template, "sent", d, high=300)
                delivered = sent - self._n(account, template, "lost", d, high=min(sent, 10))
                points.append(
                    {
                        "template_id": str(template),
                        "start": d,
                        "end": d + DAY,
                        "sent": sent,
                        "delivered": delivered,
                        "read": delivered - self._n(account, template, "unread", d, high=delivered),
                        "clicked": [
                            {
                                "type": "quick_reply_button",
                                "button_content": "Yes",
                                "count": self._n(account, template, "click", d, high=40),
                            }
                        ],
                    }
                )
        return {
            "data": [
                {
                    "granularity": q.get("granularity", "DAILY"),
                    "product_type": "cloud_api",
                    "data_points": points,
                }
            ],
            "paging": {"cursors": {"before": _cursor(0), "after": _cursor(1)}},
        }

    async def graph_token(self, request: Request) -> Response:
        q = request.query_params
        if q.get("grant_type") != "fb_exchange_token":
            return r.graph_error("param", message="(#100) Unsupported grant_type", code=100)
        if q.get("client_id") != self.state.meta_app_id or (
            q.get("client_secret") != self.state.meta_app_secret
        ):
            return r.graph_error(
                "param", message="Error validating client secret.", code=1, status=400
            )
        account = self.state.by_access.get(q.get("fb_exchange_token", ""))
        if account is None or account.dead or account.platform == "WhatsApp":
            return r.graph_error("token_dead" if account else "bad_token")
        self.state.rotate(account)
        account.expires_in = 5_183_944
        return JSONResponse(
            {"access_token": account.access_token, "token_type": "bearer", "expires_in": 5_183_944}
        )

    async def ig_refresh(self, request: Request) -> Response:
        q = request.query_params
        account = self.state.by_access.get(q.get("access_token", ""))
        if q.get("grant_type") != "ig_refresh_token":
            return r.graph_error("param", message="Unsupported grant_type", code=100)
        if account is None or account.dead or account.login != "instagram":
            return r.graph_error("token_dead" if account else "bad_token")
        if time.time() - account.issued_at < DAY:
            return r.graph_error(
                "param", message="Tokens must be at least 24 hours old to be refreshed", code=100
            )
        self.state.rotate(account)
        return JSONResponse(
            {"access_token": account.access_token, "token_type": "bearer", "expires_in": 5_183_944}
        )

    # ==========================================================================================
    # TikTok
    # ==========================================================================================
    def _tt_ok(self, data: dict[str, Any]) -> Response:
        return JSONResponse(
            {"data": data, "error": {"code": "ok", "message": "", "log_id": r.trace()}}
        )

    def _tt_fields(self, request: Request, allowed: tuple[str, ...]) -> list[str]:
        fields = [f for f in request.query_params.get("fields", "").split(",") if f]
        unknown = [f for f in fields if f not in allowed]
        if not fields or unknown:
            raise r.Reply(
                r.tiktok_error(
                    400, "invalid_params", f"Invalid fields: {','.join(unknown) or '(none)'}"
                )
            )
        return fields

    def _tt_video(self, account: Account, post: Post, fields: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": post.id,
            "create_time": post.created,
            "title": f"video {post.id}",
            "view_count": self._n(account, post.id, "view_count", high=90_000),
            "like_count": self._n(account, post.id, "like_count", high=5000),
            "comment_count": self._n(account, post.id, "comment_count", high=300),
            "share_count": self._n(account, post.id, "share_count", high=200),
            "duration": self._n(account, post.id, "duration", low=5, high=180),
        }
        return {k: v for k, v in values.items() if k in fields}

    async def tt_user(self, request: Request, account: Account) -> Response:
        fields = self._tt_fields(request, TIKTOK_USER)
        stats = {"follower_count", "following_count", "likes_count", "video_count"}
        if stats & set(fields) and "user.info.stats" not in account.scopes:
            return r.tiktok_error(
                401,
                "scope_not_authorized",
                "The user did not authorize the scope required for completing this request.",
            )
        values = {
            "open_id": account.id,
            "display_name": f"Sandbox {account.id}",
            "video_count": len(account.posts),
            **{
                k: self._n(account, k, high=80_000)
                for k in ("follower_count", "following_count", "likes_count")
            },
        }
        return self._tt_ok({"user": {k: v for k, v in values.items() if k in fields}})

    async def _tt_body(self, request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise r.Reply(r.tiktok_error(400, "invalid_params", "Invalid JSON body")) from None
        if not isinstance(body, dict):
            raise r.Reply(r.tiktok_error(400, "invalid_params", "Invalid JSON body"))
        return body

    async def tt_list(self, request: Request, account: Account) -> Response:
        fields = self._tt_fields(request, TIKTOK_VIDEO)
        body = await self._tt_body(request)
        size = body.get("max_count", 20)
        if not isinstance(size, int) or not 1 <= size <= 20:
            return r.tiktok_error(400, "invalid_params", "max_count must be between 1 and 20")
        cursor = body.get("cursor")
        videos = account.posts
        if isinstance(cursor, int):
            videos = [v for v in videos if v.created * 1000 < cursor]
        page = videos[:size]
        return self._tt_ok(
            {
                "videos": [self._tt_video(account, v, fields) for v in page],
                "cursor": page[-1].created * 1000 if page else cursor or 0,
                "has_more": len(videos) > size,
            }
        )

    async def tt_query(self, request: Request, account: Account) -> Response:
        fields = self._tt_fields(request, TIKTOK_VIDEO)
        body = await self._tt_body(request)
        ids = (body.get("filters") or {}).get("video_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 20:
            return r.tiktok_error(400, "invalid_params", "video_ids must hold 1 to 20 ids")
        found = [self.state.objects.get(str(i)) for i in ids]
        videos = [
            self._tt_video(account, post, fields)
            for hit in found
            if hit is not None and hit[0] is account
            for post in [hit[1]]
        ]
        return self._tt_ok({"videos": videos, "cursor": 0, "has_more": False})

    async def tt_token(self, request: Request) -> Response:
        form = await _form(request)
        if (
            form.get("client_key") != self.state.tiktok_client_key
            or form.get("client_secret") != self.state.tiktok_client_secret
        ):
            return r.oauth_error(
                "invalid_client", "Client key or secret is incorrect.", log_id=True
            )
        if form.get("grant_type") != "refresh_token":
            return r.oauth_error("invalid_request", "Unsupported grant_type", log_id=True)
        account = self.state.by_refresh.get(str(form.get("refresh_token") or ""))
        if account is None or account.platform != "TikTok":
            return r.oauth_error(
                "invalid_grant", "Refresh token is invalid or expired.", log_id=True
            )
        self.state.rotate(account)
        return JSONResponse(
            {
                "access_token": account.access_token,
                "expires_in": account.expires_in or 7200,
                "open_id": account.id,
                "refresh_token": account.refresh_token,
                "refresh_expires_in": account.refresh_expires_in or 15_552_000,
                "scope": ",".join(account.scopes),
                "token_type": "Bearer",
            }
        )

    # ==========================================================================================
    # TikTok API for Business (business-api.tiktok.com/open_api/v1.3)
    # ==========================================================================================
    def _ttb_json(self, raw: str | None, name: str, default: Any) -> Any:
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            raise r.Reply(r.tiktok_business({}, 40002, f"{name} must be JSON-encoded")) from None

    def _ttb_request(
        self, request: Request, account: Account, scope: str, allowed: tuple[str, ...]
    ) -> list[str]:
        """Check ``business_id``, the scope and the JSON ``fields``; return the fields."""
        q = request.query_params
        if q.get("business_id") != account.id:
            raise r.Reply(r.tiktok_business({}, 40002, "Invalid business_id."))
        if scope not in account.scopes:
            raise r.Reply(
                r.tiktok_business({}, 40001, f"No permission: the {scope} scope is missing.")
            )
        fields = self._ttb_json(q.get("fields"), "fields", [])
        if not isinstance(fields, list) or [f for f in fields if f not in allowed]:
            raise r.Reply(r.tiktok_business({}, 40002, "Invalid fields."))
        return [str(f) for f in fields]

    async def ttb_account(self, request: Request, account: Account) -> Response:
        fields = self._ttb_request(request, account, "user.insights", TT_BUSINESS_ACCOUNT)
        q = request.query_params
        start, end = _date(q.get("start_date")), _date(q.get("end_date"))
        if ("start_date" in q and start is None) or ("end_date" in q and end is None):
            return r.tiktok_business({}, 40002, "Dates must be YYYY-MM-DD.")
        values: dict[str, Any] = {
            "display_name": f"Sandbox {account.id}",
            "profile_image": f"https://p16.tiktokcdn.com/{account.id}.jpeg",
            "followers_count": self._n(account, "followers_count", high=90_000),
        }
        data = {k: v for k, v in values.items() if k in fields or k == "display_name"}
        daily = [f for f in fields if f in TT_BUSINESS_DAILY]
        if start is not None and end is not None and daily:
            if end < start:
                return r.tiktok_business({}, 40002, "end_date must not precede start_date.")
            data["metrics"] = [
                {
                    "date": datetime.fromtimestamp(d, UTC).strftime("%Y-%m-%d"),
                    **{f: self._n(account, "daily", f, d, high=4000) for f in daily},
                }
                for d in range(start, end + 1, DAY)
            ]
        return r.tiktok_business(data)

    def _ttb_video(self, account: Account, post: Post, fields: list[str]) -> dict[str, Any]:
        def n(name: str, high: int) -> int:
            return self._n(account, post.id, name, high=high)

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

    async def ttb_videos(self, request: Request, account: Account) -> Response:
        fields = self._ttb_request(request, account, "video.insights", TT_BUSINESS_VIDEO)
        q = request.query_params
        try:
            size = int(q.get("max_count", "20"))
            offset = int(q.get("cursor", "0"))
        except ValueError:
            return r.tiktok_business({}, 40002, "max_count and cursor must be integers.")
        if not 1 <= size <= 20 or offset < 0:
            return r.tiktok_business({}, 40002, "max_count must be between 1 and 20.")
        filters = self._ttb_json(q.get("filters"), "filters", {})
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
                "videos": [self._ttb_video(account, v, fields) for v in page],
                "cursor": offset + len(page),
                "has_more": offset + size < len(videos),
            }
        )

    async def ttb_refresh(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return r.tiktok_business({}, 40002, "The request body must be JSON.")
        if (
            body.get("client_id") != self.state.tiktok_client_key
            or body.get("client_secret") != self.state.tiktok_client_secret
        ):
            return r.tiktok_business({}, 40002, "Invalid client_id or client_secret.")
        if body.get("grant_type") != "refresh_token":
            return r.tiktok_business({}, 40002, "Unsupported grant_type.")
        account = self.state.by_refresh.get(str(body.get("refresh_token") or ""))
        if account is None or account.platform != "TikTok" or account.dead:
            return r.tiktok_business({}, 40107, "The refresh token is invalid or has expired.")
        self.state.rotate(account)
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

    # ==========================================================================================
    # control API
    # ==========================================================================================
    async def control_register(self, request: Request) -> Response:
        spec = await request.json()
        try:
            account = self.state.register(spec)
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return JSONResponse(account.summary(), status_code=201)

    async def control_posts(self, request: Request) -> Response:
        key = (request.path_params["platform"], request.path_params["id"])
        account = self.state.accounts.get(key)
        if account is None:
            return JSONResponse({"error": "unknown account"}, status_code=404)
        body = await request.json()
        fresh = self.state.add_posts(account, int(body.get("count", 1)))
        return JSONResponse({"posts": [p.id for p in fresh]}, status_code=201)

    async def control_faults(self, request: Request) -> Response:
        body = await request.json()
        if request.method == "DELETE" or body.get("clear"):
            self.state.faults.clear()
            return JSONResponse({"faults": []})
        fault = Fault(
            platform=str(body["platform"]),
            account=str(body["account"]),
            kind=str(body["kind"]),
            times=body.get("times"),
            path=body.get("path"),
            seconds=float(body.get("seconds", 5.0)),
            after=int(body.get("after", 0)),
        )
        self.state.faults.append(fault)
        return JSONResponse(vars(fault), status_code=201)

    async def control_config(self, request: Request) -> Response:
        body = await request.json()
        for key in ("quota", "window_seconds", "seed"):
            if key in body:
                setattr(self.state, key, int(body[key]))
        if body.get("reset_windows"):
            self.state.windows.clear()
        return JSONResponse(self.state.snapshot())

    async def inbox(self, request: Request) -> Response:
        """A stand-in webhook receiver: records raw deliveries (POST) and lists them (GET)."""
        if request.method == "POST":
            body = await request.body()
            self.inbox_log.append(
                {"headers": dict(request.headers), "body": body.decode("utf-8", "replace")}
            )
            return Response(status_code=200)
        return JSONResponse({"deliveries": self.inbox_log})

    async def control_state(self, request: Request) -> Response:
        return JSONResponse(self.state.snapshot())


def create_app(state: SandboxState | None = None) -> Starlette:
    sandbox = Sandbox(state or SandboxState())

    def guarded(
        platform: str | tuple[str, ...], group: str, handler: Handler, dialect: str | None = None
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await sandbox.guard(request, platform, group, handler, dialect)

        return endpoint

    meta = ("Facebook", "Instagram", "WhatsApp")
    routes = [
        Route("/x/2/users/me", guarded("X", "users/me", sandbox.x_me)),
        Route("/x/2/users/{id}/tweets", guarded("X", "users/tweets", sandbox.x_tweets)),
        Route("/x/2/users/{id}", guarded("X", "users", sandbox.x_user)),
        Route("/x/2/tweets", guarded("X", "tweets", sandbox.x_lookup)),
        Route("/x/2/oauth2/token", sandbox.x_token, methods=["POST"]),
        Route("/graph/{version}/oauth/access_token", sandbox.graph_token),
        Route("/graph/{version}/{id}/{edge}", guarded(meta, "graph", sandbox.graph_edge)),
        Route("/graph/{version}/{id}", guarded(meta, "graph", sandbox.graph_object)),
        Route("/instagram/refresh_access_token", sandbox.ig_refresh),
        Route(
            "/instagram/{version}/{id}/{edge}", guarded("Instagram", "graph", sandbox.graph_edge)
        ),
        Route("/instagram/{version}/{id}", guarded("Instagram", "graph", sandbox.graph_object)),
        Route("/tiktok/v2/user/info/", guarded("TikTok", "user", sandbox.tt_user)),
        Route(
            "/tiktok/v2/video/list/", guarded("TikTok", "list", sandbox.tt_list), methods=["POST"]
        ),
        Route(
            "/tiktok/v2/video/query/",
            guarded("TikTok", "query", sandbox.tt_query),
            methods=["POST"],
        ),
        Route("/tiktok/v2/oauth/token/", sandbox.tt_token, methods=["POST"]),
        Route(
            f"{TTB}/business/get/",
            guarded("TikTok", "business/get", sandbox.ttb_account, TT_BUSINESS),
        ),
        Route(
            f"{TTB}/business/video/list/",
            guarded("TikTok", "business/video/list", sandbox.ttb_videos, TT_BUSINESS),
        ),
        Route(f"{TTB}/tt_user/oauth2/refresh_token/", sandbox.ttb_refresh, methods=["POST"]),
        Route("/_sandbox/accounts", sandbox.control_register, methods=["POST"]),
        Route("/_sandbox/accounts/{platform}/{id}/posts", sandbox.control_posts, methods=["POST"]),
        Route("/_sandbox/faults", sandbox.control_faults, methods=["POST", "DELETE"]),
        Route("/_sandbox/config", sandbox.control_config, methods=["POST"]),
        Route("/_sandbox/state", sandbox.control_state, methods=["GET"]),
        Route("/_sandbox/inbox", sandbox.inbox, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return app
