"""X API v2: account counters, the account's posts (paged, incremental by ``since_id``),
re-polling of recent posts, and OAuth 2.0 refresh with rotating single-use refresh tokens.

Parts: ``account_fields`` (the gate), ``posts`` (newer than ``since_id``, then the backfill
walk down to ``X_HORIZON_DAYS`` with ``until_id`` checkpoints), ``known_posts`` (known posts
re-read through ``GET /2/tweets`` on the decaying schedule of
:func:`~socialmetrics.providers.windows.refresh_due`).

Cursor: ``{"since_id": "<newest id>", "backfill": {"until_id", "oldest_at", "complete"},
"posts": {"<id>": [<created unix>, <refreshed unix>], …}}``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from socialmetrics.platforms import Platform
from socialmetrics.providers import errors
from socialmetrics.providers.base import (
    BaseClient,
    CollectionContext,
    PlatformCalls,
    PointSink,
    grant_from,
    utcnow,
)
from socialmetrics.providers.parts import Parts
from socialmetrics.providers.rate_limits import UsageSnapshot, retry_after, x_usage
from socialmetrics.providers.types import (
    AccountRef,
    CollectResult,
    Credentials,
    RotateCallback,
    TokenGrant,
)
from socialmetrics.providers.windows import TRACKED_POSTS, refresh_due

API_VERSION = "2"
USER_FIELDS = "public_metrics,created_at"
TWEET_FIELDS = "created_at,public_metrics,non_public_metrics,organic_metrics"
MEDIA_FIELDS = "public_metrics"
LOOKUP_BATCH = 100  # GET /2/tweets takes at most 100 ids


@dataclass
class _State:
    """The X cursor while a collection runs (mutated page by page: every page checkpoints)."""

    since_id: str | None
    backfill: dict[str, Any]
    posts: dict[str, list[float]]
    refreshed_now: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, cursor: dict[str, Any]) -> _State:
        posts = {
            str(k): [float(v[0]), float(v[1])]
            for k, v in (cursor.get("posts") or {}).items()
            if isinstance(v, list) and len(v) == 2
        }
        since = cursor.get("since_id")
        return cls(str(since) if since else None, dict(cursor.get("backfill") or {}), posts)

    def track(self, post: dict[str, Any], now: datetime) -> None:
        created = _parse_time(post.get("created_at"))
        stamp = now.timestamp()
        self.posts[post["id"]] = [created.timestamp() if created else stamp, stamp]
        self.refreshed_now.add(post["id"])

    def due(self, now: datetime, restatement_days: int) -> list[str]:
        return [
            post_id
            for post_id, (created, refreshed) in self.posts.items()
            if post_id not in self.refreshed_now
            and refresh_due(created, refreshed, now, restatement_days)
        ]

    def dump(self) -> dict[str, Any]:
        newest = sorted(self.posts.items(), key=lambda kv: int(kv[0]), reverse=True)
        cursor: dict[str, Any] = {
            "backfill": self.backfill,
            "posts": dict(newest[:TRACKED_POSTS]),
        }
        if self.since_id:
            cursor["since_id"] = self.since_id
        return cursor


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class XClient(BaseClient):
    platform = Platform.X
    supports_refresh = True
    page_size = 100  # max_results: 5..100

    # --- hooks ------------------------------------------------------------------------------
    def _usage(self, headers: httpx.Headers, now: datetime) -> UsageSnapshot | None:
        return x_usage(headers, now)

    def _error(
        self, response: httpx.Response, payload: Any, now: datetime
    ) -> errors.ProviderError | None:
        status = response.status_code
        if status < 400:
            return None
        body = payload if isinstance(payload, dict) else {}
        kind = str(body.get("type", ""))
        first = (body.get("errors") or [{}])[0] if isinstance(body.get("errors"), list) else {}
        code = first.get("code") if isinstance(first, dict) else None
        oauth = body.get("error") if isinstance(body.get("error"), str) else None
        message = str(
            body.get("detail")
            or body.get("title")
            or (first.get("message") if isinstance(first, dict) else None)
            or body.get("error_description")
            or oauth
            or f"HTTP {status}"
        )
        platform = self.platform.value
        if status == 429 or code == 88 or kind.endswith(("rate-limit-exceeded", "usage-capped")):
            snapshot = x_usage(response.headers, now)
            reset = (snapshot.reset_at if snapshot else None) or retry_after(response.headers, now)
            return errors.RateLimited(
                message,
                reset_at=reset or now + timedelta(minutes=15),
                platform=platform,
                status=status,
                code=code or kind.rsplit("/", 1)[-1] or None,
            )
        if oauth in ("invalid_grant", "invalid_request") and status == 400:
            # The token endpoint's answer to a refresh token that is unknown, used or revoked.
            return errors.AuthExpired(message, platform=platform, status=status, code=oauth)
        if kind.endswith("resource-not-found"):
            return errors.NotFound(message, platform=platform, status=status, code="not-found")
        if kind.endswith(("not-authorized-for-resource", "client-forbidden")):
            return errors.PermissionDenied(message, platform=platform, status=status, code=kind)
        return self._fallback_error(response, message)

    # --- collection -------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.settings.x_api_base_url.rstrip('/')}{path}"

    async def collect(
        self, account: AccountRef, credentials: Credentials, cursor: dict[str, Any]
    ) -> CollectResult:
        user_id = account.platform_user_id
        parts = Parts(account_wide_limits=False)  # X limits each endpoint on its own
        state = _State.load(cursor)
        async with self.collection(credentials, cursor, API_VERSION, parts) as ctx:
            calls, sink, now = ctx.calls, ctx.sink, ctx.now

            async def account_fields() -> None:
                user = await calls.request(
                    "GET", self._url(f"/2/users/{user_id}"), params={"user.fields": USER_FIELDS}
                )
                data = user.get("data")
                if not isinstance(data, dict):
                    if user.get("errors"):  # HTTP 200 with errors[]: resource-not-found
                        raise errors.NotFound(f"user {user_id} not found", platform="X")
                    raise errors.MalformedResponse("user lookup without data", platform="X")
                sink.add_all(data.get("public_metrics") or {})

            async def posts() -> None:
                horizon = now - timedelta(days=self.settings.horizon_days(self.platform))
                if state.since_id:
                    await self._newer(ctx, user_id, state)
                if not state.backfill.get("complete"):
                    await self._older(ctx, user_id, state, horizon)

            async def post_refresh() -> None:
                due = state.due(now, self.settings.restatement_days)
                for post in await self._lookup(calls, due):
                    self._post_points(sink, post)
                    state.track(post, now)
                for post_id in due:  # deleted posts come back in errors[]: forget them
                    if post_id not in state.refreshed_now:
                        state.posts.pop(post_id, None)

            await parts.run("account_fields", account_fields, gate=True, account_object=True)
            await parts.run("posts", posts)
            await parts.run("known_posts", post_refresh)
            return ctx.result(state.dump())

    async def _newer(self, ctx: CollectionContext, user_id: str, state: _State) -> None:
        """Posts newer than ``since_id``; the mark moves only once every page is read."""
        params = {**self._timeline_params(), "since_id": state.since_id}
        newest = int(state.since_id or 0)
        for _ in range(self.settings.provider_max_pages):
            page = await ctx.calls.request(
                "GET", self._url(f"/2/users/{user_id}/tweets"), params=params
            )
            for post in self._with_media(page):
                self._post_points(ctx.sink, post)
                state.track(post, ctx.now)
                newest = max(newest, int(post["id"]))
            next_token = (page.get("meta") or {}).get("next_token")
            if not next_token:
                break
            params["pagination_token"] = next_token
        state.since_id = str(newest) if newest else state.since_id

    async def _older(
        self, ctx: CollectionContext, user_id: str, state: _State, horizon: datetime
    ) -> None:
        """The backfill: pages older than the oldest post reached, down to the horizon. Each
        page is a checkpoint (``until_id``), so an interrupted walk resumes, never restarts."""
        backfill = state.backfill
        for _ in range(self.settings.provider_max_pages):
            params = {
                **self._timeline_params(),
                "start_time": horizon.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            if backfill.get("until_id"):
                params["until_id"] = backfill["until_id"]
            page = await ctx.calls.request(
                "GET", self._url(f"/2/users/{user_id}/tweets"), params=params
            )
            found = self._with_media(page)
            for post in found:
                self._post_points(ctx.sink, post)
                state.track(post, ctx.now)
            if found:
                oldest = min(found, key=lambda p: int(p["id"]))
                backfill["until_id"] = oldest["id"]
                backfill["oldest_at"] = oldest.get("created_at")
                if not state.since_id:
                    state.since_id = str(max(int(p["id"]) for p in found))
            if not found or not (page.get("meta") or {}).get("next_token"):
                backfill["complete"] = True
                backfill.setdefault("oldest_at", horizon.isoformat())
                return

    def _timeline_params(self) -> dict[str, Any]:
        return {
            "max_results": self.page_size,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "attachments.media_keys",
            "media.fields": MEDIA_FIELDS,
            "exclude": "replies,retweets",
        }

    async def _lookup(self, calls: PlatformCalls, ids: list[str]) -> list[dict[str, Any]]:
        posts: list[dict[str, Any]] = []
        for start in range(0, len(ids), LOOKUP_BATCH):
            page = await calls.request(
                "GET",
                self._url("/2/tweets"),
                params={
                    "ids": ",".join(ids[start : start + LOOKUP_BATCH]),
                    "tweet.fields": TWEET_FIELDS,
                    "expansions": "attachments.media_keys",
                    "media.fields": MEDIA_FIELDS,
                },
            )
            # Partial success: deleted posts come back in errors[] and are dropped.
            posts += self._with_media(page)
        return posts

    @staticmethod
    def _with_media(page: dict[str, Any]) -> list[dict[str, Any]]:
        """The page's posts, each with the view counts of its attached media."""
        media = {
            m.get("media_key"): m
            for m in (page.get("includes") or {}).get("media", [])
            if isinstance(m, dict)
        }
        posts: list[dict[str, Any]] = []
        for post in page.get("data") or []:
            if not isinstance(post, dict) or "id" not in post:
                continue
            keys = (post.get("attachments") or {}).get("media_keys") or []
            views = [
                (media[k].get("public_metrics") or {}).get("view_count") for k in keys if k in media
            ]
            views = [v for v in views if isinstance(v, int)]
            posts.append({**post, "id": str(post["id"]), "_views": sum(views) if views else None})
        return posts

    @staticmethod
    def _post_points(sink: PointSink, post: dict[str, Any]) -> None:
        public = post.get("public_metrics") or {}
        non_public = post.get("non_public_metrics") or {}
        kw: dict[str, Any] = {"object_type": "post", "object_id": post["id"], "period": "lifetime"}
        sink.add_all(public, **kw)
        # impression_count is public now and non-public in older docs: prefer the public value.
        sink.add_all(non_public, skip=[k for k in non_public if k in public], **kw)
        if post.get("_views") is not None:
            sink.add("view_count", post["_views"], **kw)

    # --- tokens -----------------------------------------------------------------------------
    async def refresh(
        self, credentials: Credentials, on_rotate: RotateCallback | None = None
    ) -> TokenGrant:
        if credentials.refresh_token is None:
            raise errors.AuthExpired(
                "no refresh token (the grant lacked offline.access)", platform="X"
            )
        refresh_token = credentials.refresh_token.get_secret_value()
        client_id = self.settings.x_client_id
        secret = self.secret("x_client_secret")
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()  # masked in errors
        auth = httpx.BasicAuth(client_id, secret)
        async with self.calls(refresh_token, secret, basic, auth=auth) as calls:
            body = await calls.request(
                "POST",
                self._url("/2/oauth2/token"),
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": client_id,
                },
            )
        return await self._rotated(grant_from(body, utcnow(), scope_sep=" "), on_rotate)
