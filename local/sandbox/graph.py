"""The Graph API (``graph.facebook.com``) under ``/graph``: the plumbing its three platforms
share (objects, edges, insights, paging, the token exchange) and Facebook Pages.

Instagram (``instagram.py``) and WhatsApp (``whatsapp.py``) plug in as :class:`Node`s: each
says which fields, edges and insights its accounts answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.sandbox import responses as r
from local.sandbox.core import DAY, Core, cursor, epoch, graph_time, offset_of
from local.sandbox.state import Account, Post, SandboxState

PAGE_METRICS = {
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_follows",
    "page_daily_follows_unique",
    "page_daily_unfollows_unique",
    "page_views_total",
}
POST_METRICS = {
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_video_views",
    "post_reactions_by_type_total",
}


class Dialect:
    """Graph error objects and the Business Use Case usage headers of one platform."""

    def __init__(self, kind: str, code: int) -> None:
        self.kind, self.code = kind, code

    def auth_error(self, dead: bool) -> Response:
        return r.graph_error("token_dead" if dead else "bad_token")

    def fault(self, kind: str) -> Response:
        if kind == "not_found":
            return r.graph_error("not_found", status=404)
        return r.graph_error(kind)

    def usage_headers(
        self, account: Account, limit: int, remaining: int, reset: float
    ) -> dict[str, str]:
        used = min(100, round(100 * (limit - remaining) / max(limit, 1)))
        regain = max(1, -(-int(reset - time.time()) // 60)) if remaining <= 0 else 0
        buc = {
            account.id: [
                {
                    "type": self.kind,
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

    def throttled(self, account: Account, headers: dict[str, str]) -> Response:
        return r.graph_error(
            "throttle",
            message=f"(#{self.code}) There have been too many calls "
            f"from this {self.kind} account. Wait a bit and try again.",
            code=self.code,
            status=400,
            headers=headers,
        )


def graph_fields(raw: str | None) -> list[str]:
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


def nonexisting(field: str, node: str) -> r.Reply:
    return r.Reply(
        r.graph_error(
            "field",
            message=f"(#100) Tried accessing nonexisting field ({field}) on node type ({node})",
            code=100,
        )
    )


def param_error(message: str) -> r.Reply:
    return r.Reply(r.graph_error("param", message=message, code=100))


def metrics(request: Request, account: Account, valid: set[str]) -> list[str]:
    """The ``metric`` list, each one checked against ``valid`` and the account's settings."""
    names = [m for m in request.query_params.get("metric", "").split(",") if m]
    if not names:
        raise param_error("(#100) The parameter metric is required")
    for name in names:
        if name not in valid or name in account.invalid_metrics:
            raise r.Reply(r.graph_error("invalid_metric"))
        if name in account.denied_metrics:
            raise r.Reply(r.graph_error("not_enough_viewers"))
    return names


def page(request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of an edge with Graph's ``limit``/``after`` cursors."""
    q = request.query_params
    try:
        limit = max(1, min(100, int(q.get("limit", "25"))))
    except ValueError:
        limit = 25
    offset = offset_of(q.get("after"))
    if offset < 0:
        raise param_error("(#100) Invalid cursor")
    chunk = items[offset : offset + limit]
    body: dict[str, Any] = {"data": chunk}
    if chunk:
        paging: dict[str, Any] = {
            "cursors": {"before": cursor(offset), "after": cursor(offset + len(chunk))}
        }
        if offset + limit < len(items):
            paging["next"] = str(request.url.include_query_params(after=cursor(offset + limit)))
        body["paging"] = paging
    return body


def owned(state: SandboxState, account: Account, object_id: str) -> Post:
    """The account's own post ``object_id`` (else Graph's not-found answer)."""
    found = state.objects.get(object_id)
    if found is None or found[0] is not account:
        raise r.Reply(r.graph_error("not_found"))
    return found[1]


class Node:
    """One platform's answers on the Graph API (the defaults: nothing beyond ``id``)."""

    platform = ""

    def __init__(self, core: Core) -> None:
        self.core = core

    def n(self, account: Account, *parts: object, low: int = 0, high: int = 1000) -> int:
        return self.core.n(account, *parts, low=low, high=high)

    def profile(self, account: Account) -> dict[str, Any]:
        """The plain fields of the account's own node."""
        return {}

    def field(self, account: Account, head: str, spec: str) -> Any:
        """A computed field of the account's node (None: not one of those)."""
        return None

    def edge(self, request: Request, account: Account, edge: str) -> dict[str, Any]:
        """The body of ``/{account}/{edge}``."""
        raise r.Reply(r.graph_error("not_found"))

    def insights(
        self, request: Request, account: Account, since: int, until: int
    ) -> dict[str, Any]:
        """The body of ``/{account}/insights`` for ``[since, until)``."""
        raise r.Reply(r.graph_error("not_found"))

    def post_metrics(self, post: Post) -> set[str]:
        """The metrics ``/{object}/insights`` accepts for ``post``."""
        return set()

    def series(
        self, account: Account, name: str, period: str, since: int, until: int
    ) -> dict[str, Any]:
        """One daily series of an account metric."""
        days = range(since - since % DAY, until, DAY)
        return {
            "name": name,
            "period": period,
            "title": name,
            "description": name,
            "id": f"{account.id}/insights/{name}/{period}",
            "values": [
                {"value": self.n(account, name, d, high=5000), "end_time": graph_time(d + DAY)}
                for d in days
            ],
        }


class Facebook(Node):
    platform = "Facebook"

    def profile(self, account: Account) -> dict[str, Any]:
        return {
            "name": f"Sandbox Page {account.id}",
            "followers_count": self.n(account, "followers_count", high=90_000),
            "fan_count": self.n(account, "fan_count", high=80_000),
            "access_token": account.access_token,
        }

    def edge(self, request: Request, account: Account, edge: str) -> dict[str, Any]:
        if edge not in ("posts", "published_posts", "feed"):
            return super().edge(request, account, edge)
        fields = graph_fields(request.query_params.get("fields"))
        return page(request, [self._post(account, p, fields) for p in account.posts])

    def _post(self, account: Account, post: Post, fields: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": post.id, "created_time": graph_time(post.created)}
        for name in fields:
            head = name.split(".", 1)[0]
            if head == "shares":
                out["shares"] = {"count": self.n(account, post.id, "shares", high=80)}
            elif head in ("comments", "reactions"):
                out[head] = {
                    "data": [],
                    "summary": {"total_count": self.n(account, post.id, head, high=400)},
                }
            elif head == "permalink_url":
                out[head] = f"https://www.facebook.com/{post.id}"
        return out

    def insights(
        self, request: Request, account: Account, since: int, until: int
    ) -> dict[str, Any]:
        names = metrics(request, account, PAGE_METRICS)
        if until - since > 90 * DAY:
            raise param_error("(#100) There cannot be more than 90 days between since and until")
        period = request.query_params.get("period", "day")
        span = until - since
        return {
            "data": [self.series(account, n, period, since, until) for n in names],
            "paging": {
                "previous": str(request.url.include_query_params(since=since - span, until=since)),
                "next": str(request.url.include_query_params(since=until, until=until + span)),
            },
        }

    def post_metrics(self, post: Post) -> set[str]:
        return POST_METRICS


DIALECTS = {"Facebook": Dialect("pages", 80001)}


class Graph:
    """Objects, edges and insights of every :class:`Node` on one host."""

    def __init__(self, core: Core, nodes: Sequence[Node]) -> None:
        self.core = core
        self.nodes = {node.platform: node for node in nodes}

    @staticmethod
    def _check_host(request: Request, account: Account) -> None:
        on_ig_host = request.url.path.startswith("/instagram/")
        ig_login = account.platform == "Instagram" and account.login == "instagram"
        if on_ig_host != ig_login:
            raise r.Reply(r.graph_error("bad_token"))

    async def object(self, request: Request, account: Account) -> Response:
        self._check_host(request, account)
        object_id = request.path_params["id"]
        fields = graph_fields(request.query_params.get("fields")) or ["id"]
        if object_id in ("me", account.id):
            return JSONResponse(self._account(account, fields))
        post = owned(self.core.state, account, object_id)
        return JSONResponse({"id": post.id, "timestamp": graph_time(post.created)})

    def _account(self, account: Account, fields: list[str]) -> dict[str, Any]:
        node = self.nodes[account.platform]
        out: dict[str, Any] = {"id": account.id}
        known = node.profile(account)
        for name in fields:
            head = name.split(".", 1)[0]
            computed = node.field(account, head, name)
            if computed is not None:
                out[head] = computed
            elif head in known:
                out[head] = known[head]
            elif head != "id":
                raise nonexisting(head, account.platform)
        return out

    async def edge(self, request: Request, account: Account) -> Response:
        self._check_host(request, account)
        node = self.nodes[account.platform]
        object_id, edge = request.path_params["id"], request.path_params["edge"]
        if object_id in ("me", account.id):
            if edge == "insights":
                q = request.query_params
                since, until = epoch(q.get("since")), epoch(q.get("until"))
                now = int(time.time())
                until = until if until is not None else now - now % DAY
                since = since if since is not None else until - 2 * DAY
                return JSONResponse(node.insights(request, account, since, until))
            return JSONResponse(node.edge(request, account, edge))
        post = owned(self.core.state, account, object_id)
        if edge != "insights":
            return r.graph_error("not_found")
        names = metrics(request, account, node.post_metrics(post))
        for name in names:  # "REELS:profile_visits": a metric one media product type rejects
            if f"{post.kind}:{name}" in account.invalid_metrics:
                raise r.Reply(r.graph_error("invalid_metric"))
        return JSONResponse(
            {
                "data": [
                    {
                        "name": n,
                        "period": "lifetime",
                        "title": n,
                        "description": n,
                        "id": f"{post.id}/insights/{n}/lifetime",
                        "values": [{"value": self.core.n(account, post.id, n, high=9000)}],
                    }
                    for n in names
                ]
            }
        )

    async def token(self, request: Request) -> Response:
        state = self.core.state
        q = request.query_params
        if q.get("grant_type") != "fb_exchange_token":
            return r.graph_error("param", message="(#100) Unsupported grant_type", code=100)
        if q.get("client_id") != state.meta_app_id or (
            q.get("client_secret") != state.meta_app_secret
        ):
            return r.graph_error(
                "param", message="Error validating client secret.", code=1, status=400
            )
        account = state.by_access.get(q.get("fb_exchange_token", ""))
        if account is None or account.dead or account.platform == "WhatsApp":
            return r.graph_error("token_dead" if account else "bad_token")
        state.rotate(account)
        account.expires_in = 5_183_944
        return JSONResponse(
            {"access_token": account.access_token, "token_type": "bearer", "expires_in": 5_183_944}
        )

    def routes(self) -> list[Route]:
        platforms = tuple(self.nodes)
        return [
            Route("/graph/{version}/oauth/access_token", self.token),
            Route("/graph/{version}/{id}/{edge}", self.core.guarded(platforms, "graph", self.edge)),
            Route("/graph/{version}/{id}", self.core.guarded(platforms, "graph", self.object)),
        ]
