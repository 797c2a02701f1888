"""The TikTok Display API v2 (``open.tiktokapis.com``) under ``/tiktok``: user info, video
list and query, and the OAuth token refresh."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.sandbox import responses as r
from local.sandbox.core import Core, form
from local.sandbox.state import Account, Post

USER_FIELDS = (
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
VIDEO_FIELDS = (
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


class Dialect:
    """TikTok's ``{"data", "error"}`` envelope; no usage headers."""

    def auth_error(self, dead: bool) -> Response:
        return r.tiktok_error(
            401, "access_token_invalid", "The access token is invalid or not found in the request."
        )

    def fault(self, kind: str) -> Response:
        if kind == "not_found":
            return r.tiktok_error(404, "not_found", "The resource does not exist.")
        if kind == "forbidden":
            return r.tiktok_error(
                403, "scope_permission_missed", "The user did not authorize the scope required."
            )
        return r.tiktok_error(500, "internal_error", "Something went wrong.")

    def usage_headers(
        self, account: Account, limit: int, remaining: int, reset: float
    ) -> dict[str, str]:
        return {}

    def throttled(self, account: Account, headers: dict[str, str]) -> Response:
        return r.tiktok_error(
            429, "rate_limit_exceeded", "API rate limit was exceeded, please try again later."
        )


DIALECTS = {"TikTok": Dialect()}


def _ok(data: dict[str, Any]) -> Response:
    return JSONResponse({"data": data, "error": {"code": "ok", "message": "", "log_id": r.trace()}})


def _fields(request: Request, allowed: tuple[str, ...]) -> list[str]:
    fields = [f for f in request.query_params.get("fields", "").split(",") if f]
    unknown = [f for f in fields if f not in allowed]
    if not fields or unknown:
        raise r.Reply(
            r.tiktok_error(
                400, "invalid_params", f"Invalid fields: {','.join(unknown) or '(none)'}"
            )
        )
    return fields


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise r.Reply(r.tiktok_error(400, "invalid_params", "Invalid JSON body")) from None
    if not isinstance(body, dict):
        raise r.Reply(r.tiktok_error(400, "invalid_params", "Invalid JSON body"))
    return body


class TikTok:
    def __init__(self, core: Core) -> None:
        self.core = core

    def _video(self, account: Account, post: Post, fields: list[str]) -> dict[str, Any]:
        n = self.core.n
        values: dict[str, Any] = {
            "id": post.id,
            "create_time": post.created,
            "title": f"video {post.id}",
            "view_count": n(account, post.id, "view_count", high=90_000),
            "like_count": n(account, post.id, "like_count", high=5000),
            "comment_count": n(account, post.id, "comment_count", high=300),
            "share_count": n(account, post.id, "share_count", high=200),
            "duration": n(account, post.id, "duration", low=5, high=180),
        }
        return {k: v for k, v in values.items() if k in fields}

    async def user(self, request: Request, account: Account) -> Response:
        fields = _fields(request, USER_FIELDS)
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
                k: self.core.n(account, k, high=80_000)
                for k in ("follower_count", "following_count", "likes_count")
            },
        }
        return _ok({"user": {k: v for k, v in values.items() if k in fields}})

    async def list(self, request: Request, account: Account) -> Response:
        fields = _fields(request, VIDEO_FIELDS)
        body = await _body(request)
        size = body.get("max_count", 20)
        if not isinstance(size, int) or not 1 <= size <= 20:
            return r.tiktok_error(400, "invalid_params", "max_count must be between 1 and 20")
        cursor = body.get("cursor")
        videos = account.posts
        if isinstance(cursor, int):
            videos = [v for v in videos if v.created * 1000 < cursor]
        page = videos[:size]
        return _ok(
            {
                "videos": [self._video(account, v, fields) for v in page],
                "cursor": page[-1].created * 1000 if page else cursor or 0,
                "has_more": len(videos) > size,
            }
        )

    async def query(self, request: Request, account: Account) -> Response:
        fields = _fields(request, VIDEO_FIELDS)
        body = await _body(request)
        ids = (body.get("filters") or {}).get("video_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 20:
            return r.tiktok_error(400, "invalid_params", "video_ids must hold 1 to 20 ids")
        found = [self.core.state.objects.get(str(i)) for i in ids]
        videos = [
            self._video(account, post, fields)
            for hit in found
            if hit is not None and hit[0] is account
            for post in [hit[1]]
        ]
        return _ok({"videos": videos, "cursor": 0, "has_more": False})

    async def token(self, request: Request) -> Response:
        state = self.core.state
        body = await form(request)
        if (
            body.get("client_key") != state.tiktok_client_key
            or body.get("client_secret") != state.tiktok_client_secret
        ):
            return r.oauth_error(
                "invalid_client", "Client key or secret is incorrect.", log_id=True
            )
        if body.get("grant_type") != "refresh_token":
            return r.oauth_error("invalid_request", "Unsupported grant_type", log_id=True)
        account = state.by_refresh.get(str(body.get("refresh_token") or ""))
        if account is None or account.platform != "TikTok":
            return r.oauth_error(
                "invalid_grant", "Refresh token is invalid or expired.", log_id=True
            )
        state.rotate(account)
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


def routes(core: Core) -> list[Route]:
    tt = TikTok(core)
    return [
        Route("/tiktok/v2/user/info/", core.guarded("TikTok", "user", tt.user)),
        Route("/tiktok/v2/video/list/", core.guarded("TikTok", "list", tt.list), methods=["POST"]),
        Route(
            "/tiktok/v2/video/query/", core.guarded("TikTok", "query", tt.query), methods=["POST"]
        ),
        Route("/tiktok/v2/oauth/token/", tt.token, methods=["POST"]),
    ]
