"""The X API v2 (``api.x.com``) under ``/x``: users, timelines, post lookup, OAuth 2.0 refresh."""

from __future__ import annotations

import base64
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.sandbox import responses as r
from local.sandbox.core import DAY, Core, cursor, epoch, form, iso, offset_of
from local.sandbox.state import Account, Post

USER_METRICS = (
    "followers_count",
    "following_count",
    "tweet_count",
    "listed_count",
    "like_count",
    "media_count",
)


class Dialect:
    """X's problem documents and ``x-rate-limit-*`` headers."""

    def auth_error(self, dead: bool) -> Response:
        return r.x_problem(401, "about:blank", "Unauthorized", "Unauthorized")

    def fault(self, kind: str) -> Response:
        if kind == "not_found":
            return r.x_problem(
                404, "resource-not-found", "Not Found Error", "Could not find the resource."
            )
        if kind == "forbidden":
            return r.x_problem(
                403,
                "client-forbidden",
                "Client Forbidden",
                "This request must be made using an approved developer "
                "account enrolled in the requested endpoint.",
            )
        return r.x_problem(503, "about:blank", "Service Unavailable", "Service Unavailable")

    def usage_headers(
        self, account: Account, limit: int, remaining: int, reset: float
    ) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(int(reset)),
        }

    def throttled(self, account: Account, headers: dict[str, str]) -> Response:
        return r.x_problem(
            429, "rate-limit-exceeded", "Too Many Requests", "Too Many Requests", headers=headers
        )


DIALECTS = {"X": Dialect()}


def _invalid(detail: str) -> Response:
    return r.x_problem(400, "invalid-request", "Invalid Request", detail)


def _not_found(kind: str, resource: str, parameter: str, object_id: str) -> dict[str, Any]:
    return {
        "value": object_id,
        "detail": f"Could not find {kind} with {parameter}: [{object_id}].",
        "title": "Not Found Error",
        "resource_type": resource,
        "parameter": parameter,
        "resource_id": object_id,
        "type": "https://api.x.com/2/problems/resource-not-found",
    }


class X:
    def __init__(self, core: Core) -> None:
        self.core = core

    def _user(self, account: Account) -> dict[str, Any]:
        metrics = {name: self.core.n(account, name, low=10, high=50_000) for name in USER_METRICS}
        return {
            "id": account.id,
            "name": f"Sandbox {account.id}",
            "username": f"sandbox_{account.id}",
            "public_metrics": metrics,
        }

    async def me(self, request: Request, account: Account) -> Response:
        return JSONResponse({"data": self._user(account)})

    async def user(self, request: Request, account: Account) -> Response:
        user_id = request.path_params["id"]
        other = self.core.state.accounts.get(("X", user_id))
        if other is None:
            return JSONResponse({"errors": [_not_found("user", "user", "id", user_id)]})
        return JSONResponse({"data": self._user(other)})

    def _post(
        self, owner: Account, post: Post, viewer: Account, media: list[Any]
    ) -> dict[str, Any]:
        def n(name: str, hi: int = 1000) -> int:
            return self.core.n(owner, post.id, name, high=hi)

        body: dict[str, Any] = {
            "id": post.id,
            "created_at": iso(post.created),
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

    async def tweets(self, request: Request, account: Account) -> Response:
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
            return _invalid("The `max_results` query parameter value is not between 5 and 100")
        posts = [p for p in account.posts if p.kind == "post"]
        if q.get("since_id"):
            posts = [p for p in posts if int(p.id) > int(q["since_id"])]
        if q.get("until_id"):
            posts = [p for p in posts if int(p.id) < int(q["until_id"])]
        start, end = epoch(q.get("start_time")), epoch(q.get("end_time"))
        posts = [
            p
            for p in posts
            if (start is None or p.created >= start) and (end is None or p.created < end)
        ][:3200]
        offset = offset_of(q.get("pagination_token"))
        if offset < 0:
            return _invalid("The `pagination_token` query parameter value is invalid")
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
            meta["next_token"] = cursor(offset + size)
        if offset:
            meta["previous_token"] = cursor(max(0, offset - size))
        body: dict[str, Any] = {
            "data": [self._post(account, p, account, media) for p in page],
            "meta": meta,
        }
        if media:
            body["includes"] = {"media": media}
        return JSONResponse(body)

    async def lookup(self, request: Request, account: Account) -> Response:
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return _invalid("The `ids` query parameter value must hold 1 to 100 ids")
        data, errors, media = [], [], []  # type: ignore[var-annotated]
        for post_id in ids:
            found = self.core.state.objects.get(post_id)
            if found is None or found[0].platform != "X":
                errors.append(_not_found("tweet", "tweet", "ids", post_id))
                continue
            data.append(self._post(found[0], found[1], account, media))
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if media:
            body["includes"] = {"media": media}
        if errors:
            body["errors"] = errors
        return JSONResponse(body)

    async def token(self, request: Request) -> Response:
        state = self.core.state
        body = await form(request)
        basic = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{state.x_client_id}:{state.x_client_secret}".encode())
        if basic and basic != f"Basic {expected.decode()}":
            return r.oauth_error(
                "unauthorized_client", "Missing valid authorization header", status=401
            )
        if not basic and body.get("client_id") != state.x_client_id:
            return r.oauth_error("invalid_request", "Missing required parameter [client_id].")
        if body.get("grant_type") != "refresh_token":
            return r.oauth_error("invalid_request", "Unsupported grant_type")
        presented = str(body.get("refresh_token") or "")
        account = state.by_refresh.get(presented)
        if account is None:
            for reused in state.accounts.values():
                if reused.platform == "X" and presented in reused.retired_refresh:
                    reused.dead = True  # reuse of a rotated token revokes the chain
            return r.oauth_error("invalid_request", "Value passed for the token was invalid.")
        state.rotate(account)
        return JSONResponse(
            {
                "token_type": "bearer",
                "expires_in": account.expires_in or 7200,
                "access_token": account.access_token,
                "scope": " ".join(account.scopes),
                "refresh_token": account.refresh_token,
            }
        )


def routes(core: Core) -> list[Route]:
    x = X(core)
    return [
        Route("/x/2/users/me", core.guarded("X", "users/me", x.me)),
        Route("/x/2/users/{id}/tweets", core.guarded("X", "users/tweets", x.tweets)),
        Route("/x/2/users/{id}", core.guarded("X", "users", x.user)),
        Route("/x/2/tweets", core.guarded("X", "tweets", x.lookup)),
        Route("/x/2/oauth2/token", x.token, methods=["POST"]),
    ]
