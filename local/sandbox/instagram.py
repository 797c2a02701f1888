"""Instagram on the Graph API: accounts behind Facebook Login (``/graph``) and behind
Instagram Login (``graph.instagram.com`` under ``/instagram``, with its token refresh)."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.sandbox import responses as r
from local.sandbox.core import DAY, Core, graph_time
from local.sandbox.graph import Dialect, Graph, Node, graph_fields, metrics, page
from local.sandbox.state import Account, Post

SERIES = {"reach", "follower_count"}
TOTALS = {
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
FEED = {
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
REELS = FEED | {"ig_reels_avg_watch_time", "ig_reels_video_view_total_time"}
STORY = {
    "views",
    "reach",
    "replies",
    "shares",
    "follows",
    "profile_visits",
    "total_interactions",
    "navigation",
}

DIALECTS = {"Instagram": Dialect("instagram", 80002)}


class Instagram(Node):
    platform = "Instagram"

    def profile(self, account: Account) -> dict[str, Any]:
        return {
            "username": f"sandbox_{account.id}",
            "followers_count": self.n(account, "followers_count", high=90_000),
            "follows_count": self.n(account, "follows_count", high=900),
            "media_count": len([p for p in account.posts if p.kind != "STORY"]),
        }

    def edge(self, request: Request, account: Account, edge: str) -> dict[str, Any]:
        if edge not in ("media", "stories"):
            return super().edge(request, account, edge)
        fields = graph_fields(request.query_params.get("fields"))
        wanted = [p for p in account.posts if (p.kind == "STORY") == (edge == "stories")]
        return page(request, [self._media(account, p, fields) for p in wanted])

    def _media(self, account: Account, post: Post, fields: list[str]) -> dict[str, Any]:
        product = {"REELS": "REELS", "STORY": "STORY"}.get(post.kind, "FEED")
        values = {
            "id": post.id,
            "timestamp": graph_time(post.created),
            "media_type": "VIDEO" if product != "FEED" else "IMAGE",
            "media_product_type": product,
            "like_count": self.n(account, post.id, "like_count", high=700),
            "comments_count": self.n(account, post.id, "comments_count", high=90),
            "permalink": f"https://www.instagram.com/p/{post.id}/",
        }
        return {k: v for k, v in values.items() if k in fields or k == "id"}

    def insights(
        self, request: Request, account: Account, since: int, until: int
    ) -> dict[str, Any]:
        q = request.query_params
        if q.get("metric_type") != "total_value":
            names = metrics(request, account, SERIES)
            return {"data": [self.series(account, n, "day", since, until) for n in names]}
        names = metrics(request, account, TOTALS)
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
                            self.n(account, n, d, high=3000)
                            for d in range(since - since % DAY, until, DAY)
                        )
                    },
                }
                for n in names
            ]
        }

    def post_metrics(self, post: Post) -> set[str]:
        return {"REELS": REELS, "STORY": STORY}.get(post.kind, FEED)


async def refresh(core: Core, request: Request) -> Response:
    """``GET /refresh_access_token`` of Instagram Login (tokens at least a day old)."""
    q = request.query_params
    account = core.state.by_access.get(q.get("access_token", ""))
    if q.get("grant_type") != "ig_refresh_token":
        return r.graph_error("param", message="Unsupported grant_type", code=100)
    if account is None or account.dead or account.login != "instagram":
        return r.graph_error("token_dead" if account else "bad_token")
    if time.time() - account.issued_at < DAY:
        return r.graph_error(
            "param", message="Tokens must be at least 24 hours old to be refreshed", code=100
        )
    core.state.rotate(account)
    return JSONResponse(
        {"access_token": account.access_token, "token_type": "bearer", "expires_in": 5_183_944}
    )


def routes(core: Core, graph: Graph) -> list[Route]:
    async def refresh_endpoint(request: Request) -> Response:
        return await refresh(core, request)

    return [
        Route("/instagram/refresh_access_token", refresh_endpoint),
        Route("/instagram/{version}/{id}/{edge}", core.guarded("Instagram", "graph", graph.edge)),
        Route("/instagram/{version}/{id}", core.guarded("Instagram", "graph", graph.object)),
    ]
