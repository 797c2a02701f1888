"""Shared Graph API mechanics for Facebook Pages, Instagram and WhatsApp.

- Error envelope ``{"error":{"message","type","code","error_subcode","is_transient",…}}`` →
  the typed tree (190 → AuthExpired; 10/200-299 → PermissionDenied; 4/17/32/341/613/80001-80014
  → RateLimited with the ``X-Business-Use-Case-Usage`` regain time; 100 + "metric" →
  MetricUnavailable; 100/33 → NotFound; 1/2/is_transient/5xx → Transient).
- Cursor pagination (``paging.cursors.after`` while ``paging.next`` is present), bounded, and
  stopped on evidence: a page with no item inside the window.
- Insights asked for in one request per object (groups of up to 25 names): an invalid metric
  (#100) fails its group, which is then split so every other metric still arrives and only
  the culprit is reported unavailable; callers skip a name refused earlier in the run.
- Long-lived token exchange (``fb_exchange_token``) and Page tokens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from socialmetrics.providers import errors
from socialmetrics.providers.base import (
    BaseClient,
    CollectionContext,
    PlatformCalls,
    PointSink,
    grant_from,
    utcnow,
)
from socialmetrics.providers.rate_limits import UsageSnapshot, meta_reset_at, meta_usage
from socialmetrics.providers.types import Credentials, RotateCallback, TokenGrant
from socialmetrics.providers.windows import Page, chunks, day_span, note_backfill, walk_history

INSIGHTS_GROUP = 25  # metrics per insights request (a refused name splits its group)
THROTTLE_CODES = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
AUTH_CODES = frozenset({102, 190})


def meta_error(
    platform: str, status: int, payload: Any, headers: httpx.Headers, now: datetime
) -> errors.ProviderError | None:
    """Map a Graph error envelope to the typed tree; ``None`` when there is no error."""
    body = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(body, dict):
        return None
    code = body.get("code")
    subcode = body.get("error_subcode")
    message = str(body.get("message") or f"Graph error {code}")
    kw: dict[str, Any] = {"platform": platform, "status": status, "code": code}
    if code in THROTTLE_CODES:
        return errors.RateLimited(message, reset_at=meta_reset_at(headers, now, platform), **kw)
    if code in AUTH_CODES:
        return errors.AuthExpired(message, **kw)
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299) or code == 368:
        return errors.PermissionDenied(message, **kw)
    if code == 100 and subcode == 33:
        return errors.NotFound(message, **kw)
    if code == 100 and "metric" in message.lower():
        return errors.MetricUnavailable(message, **kw)
    if code in (1, 2) or body.get("is_transient") is True or status >= 500:
        return errors.Transient(message, **kw)
    if status == 404:
        return errors.NotFound(message, **kw)
    return errors.ProviderError(message, **kw)


class GraphClient(BaseClient):
    """Base for the three Meta clients (graph.facebook.com or graph.instagram.com)."""

    page_size = 25

    @property
    def api_version(self) -> str:
        return self.settings.graph_api_version

    def graph_url(self, path: str) -> str:
        base = self.settings.graph_api_base_url.rstrip("/")
        return f"{base}/{self.api_version}/{path.lstrip('/')}"

    def _usage(self, headers: httpx.Headers, now: datetime) -> UsageSnapshot | None:
        return meta_usage(headers, now, self.platform.value)

    def _error(
        self, response: httpx.Response, payload: Any, now: datetime
    ) -> errors.ProviderError | None:
        mapped = meta_error(
            self.platform.value, response.status_code, payload, response.headers, now
        )
        if mapped is not None:
            return mapped
        if response.status_code >= 400:
            return self._fallback_error(response, f"HTTP {response.status_code}")
        return None

    async def paged(
        self,
        calls: PlatformCalls,
        url: str,
        params: dict[str, Any],
        inside: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Every item of a cursor-paged edge (inside the window when ``inside`` is given).

        Feeds are not strictly ordered (pinned or edited items), so one old item proves
        nothing: paging continues while a page holds any item inside the window and stops
        on a page with none, at the end, or at the page bound."""
        query = {**params, "limit": self.page_size}
        items: list[dict[str, Any]] = []
        for _ in range(self.settings.provider_max_pages):
            page = await calls.request("GET", url, params=query)
            found = [item for item in page.get("data") or [] if isinstance(item, dict)]
            kept = [item for item in found if inside is None or inside(item)]
            items += kept
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not kept or not paging.get("next") or not after:
                break
            query["after"] = after
        return items

    async def history(
        self,
        calls: PlatformCalls,
        url: str,
        params: dict[str, Any],
        state: dict[str, Any],
        window: tuple[datetime, datetime],
        time_of: Callable[[dict[str, Any]], datetime | None],
        handle: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        """:func:`~socialmetrics.providers.windows.walk_history` over a cursor-paged edge."""
        query = {**params, "limit": self.page_size}

        async def fetch_page(after: object) -> Page:
            if after:
                query["after"] = after
            page = await calls.request("GET", url, params=query)
            items = [item for item in page.get("data") or [] if isinstance(item, dict)]
            paging = page.get("paging") or {}
            token = (paging.get("cursors") or {}).get("after")
            return items, token if paging.get("next") and token else None

        await walk_history(
            fetch_page, state, window, time_of, handle, self.settings.provider_max_pages
        )

    async def insights(
        self,
        calls: PlatformCalls,
        url: str,
        metrics: list[str],
        params: dict[str, Any],
        unavailable: list[str],
        label: str = "",
        group_size: int = INSIGHTS_GROUP,
    ) -> list[dict[str, Any]]:
        """Insight entries for ``metrics``, asked in groups; refused names go to ``unavailable``."""
        entries: list[dict[str, Any]] = []
        size = max(group_size, 1)
        groups = [metrics[i : i + size] for i in range(0, len(metrics), size)]
        while groups:
            group = groups.pop(0)
            try:
                body = await calls.request("GET", url, params={**params, "metric": ",".join(group)})
            except (errors.MetricUnavailable, errors.PermissionDenied):
                # One refused name fails its whole group: split it, keep the others.
                if len(group) > 1:
                    groups[:0] = [[name] for name in group]
                else:
                    unavailable.append(f"{label}{group[0]}")
                continue
            entries += [e for e in body.get("data") or [] if isinstance(e, dict)]
        return entries

    async def daily_insights(
        self,
        ctx: CollectionContext,
        url: str,
        metrics: list[str],
        span_days: int,
        walks: tuple[str, ...],
        params: dict[str, Any] | None = None,
    ) -> None:
        """Daily account insights from the checkpoint (``cursor["insights_until"]``) to today:
        backfilled to the platform's horizon in chunks of ``span_days`` (each chunk a
        checkpoint and a step of the ``insights`` backfill walk), then the restatement window
        re-read every run."""
        since, until = day_span(
            ctx.cursor.get("insights_until"),
            ctx.now,
            self.settings.horizon_days(self.platform),
            self.settings.restatement_days,
        )
        for start, end in chunks(since, until, span_days):
            entries = await self.insights(
                ctx.calls,
                url,
                metrics,
                {
                    "period": "day",
                    **(params or {}),
                    "since": int(start.timestamp()),
                    "until": int(end.timestamp()),
                },
                ctx.unavailable,
            )
            add_daily_values(ctx.sink, entries)
            ctx.new_cursor["insights_until"] = int(end.timestamp())  # checkpoint
            note_backfill(
                ctx.new_cursor, walks, "insights", since, ctx.new_cursor["insights_until"], ctx.now
            )

    async def exchange(
        self, credentials: Credentials, on_rotate: RotateCallback | None = None
    ) -> TokenGrant:
        """Trade the current user token for a fresh long-lived one (about 60 days)."""
        token = credentials.access_token.get_secret_value()
        secret = self.secret("meta_app_secret")
        async with self.calls(token, secret) as calls:
            body = await calls.request(
                "GET",
                self.graph_url("oauth/access_token"),
                params={
                    "grant_type": "fb_exchange_token",
                    "client_id": self.settings.meta_app_id,
                    "client_secret": secret,
                    "fb_exchange_token": token,
                },
            )
        return await self._rotated(grant_from(body, utcnow()), on_rotate)

    async def page_token(self, user_credentials: Credentials, page_id: str) -> TokenGrant:
        """A Page token (never expires) from a long-lived user token via ``GET /{page-id}``."""
        async with self.calls(auth=self.token_auth(user_credentials)) as calls:
            body = await calls.request(
                "GET", self.graph_url(page_id), params={"fields": "access_token"}
            )
        return grant_from(body, utcnow())


def insight_value(entry: dict[str, Any]) -> object:
    """The single value of a lifetime / total_value insight entry."""
    total = entry.get("total_value")
    if isinstance(total, dict):
        return total.get("value")
    values = entry.get("values") or []
    return values[-1].get("value") if values and isinstance(values[-1], dict) else None


def add_daily_values(sink: PointSink, entries: list[dict[str, Any]]) -> None:
    """A ``period=day`` insights answer into points: Graph dates each value by the end of its
    day, so the point is stored at the day's start."""
    for entry in entries:
        for value in entry.get("values") or []:
            at = parse_graph_time(value.get("end_time"))
            if at is not None:
                sink.add(
                    str(entry.get("name")),
                    value.get("value"),
                    period="day",
                    collected_at=at - timedelta(days=1),
                )


def parse_graph_time(value: object) -> datetime | None:
    """Graph times: ``2026-03-02T08:00:00+0000`` (or ISO with a colon)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
