"""WhatsApp Business Platform (Cloud API): WABA analytics through the Graph API.

- ``GET /{waba-id}?fields=analytics.start(s).end(e).granularity(DAY)`` → daily sent/delivered;
- ``GET /{waba-id}?fields=pricing_analytics.start(s).end(e).granularity(DAILY)`` → daily
  billable volume and cost (summed over pricing categories);
- ``GET /{waba-id}/message_templates`` (cursor-paged) then ``/{waba-id}/template_analytics``
  (≤10 templates per call) → per-template sent / delivered / read / clicked.

Read, failed and received counts per message come from status webhooks, not from here.
System-user tokens do not refresh: :attr:`supports_refresh` is ``False``.
Cursor: ``{"analytics_until": <unix day>}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from socialmetrics.platforms import Platform
from socialmetrics.providers import errors
from socialmetrics.providers.base import PointSink, Session
from socialmetrics.providers.meta import GraphClient, day_window
from socialmetrics.providers.types import (
    AccountRef,
    CollectResult,
    Credentials,
    RotateCallback,
    TokenGrant,
)

TEMPLATE_BATCH = 10
TEMPLATE_METRICS = '["SENT","DELIVERED","READ","CLICKED"]'


def _day(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return None


class WhatsAppClient(GraphClient):
    platform = Platform.WHATSAPP
    supports_refresh = False
    page_size = 25

    async def collect(
        self, account: AccountRef, credentials: Credentials, cursor: dict[str, Any]
    ) -> CollectResult:
        token = credentials.access_token.get_secret_value()
        headers = {"Authorization": f"Bearer {token}"}
        waba = account.platform_user_id
        now = self.clock()
        sink = PointSink(self.platform, self.api_version, now)
        unavailable: list[str] = []
        since, until = day_window(
            cursor, "analytics_until", now, self.settings.provider_lookback_days
        )
        start, end = int(since.timestamp()), int(until.timestamp())
        async with self.session(token) as session:
            body = await session.request(
                "GET",
                self.graph_url(waba),
                params={"fields": f"analytics.start({start}).end({end}).granularity(DAY)"},
                headers=headers,
            )
            analytics = body.get("analytics") or {}
            for point in analytics.get("data_points") or []:
                at = _day(point.get("start"))
                if at is not None:
                    sink.add_all(
                        {k: point.get(k) for k in ("sent", "delivered")},
                        period="day",
                        collected_at=at,
                    )
            await self._pricing(session, waba, start, end, headers, sink, unavailable)
            templates = await self.paged(
                session,
                self.graph_url(f"{waba}/message_templates"),
                {"fields": "id,name,status"},
                headers,
            )
            ids = [str(t["id"]) for t in templates if "id" in t]
            for i in range(0, len(ids), TEMPLATE_BATCH):
                await self._templates(
                    session,
                    waba,
                    ids[i : i + TEMPLATE_BATCH],
                    start,
                    end,
                    headers,
                    sink,
                    unavailable,
                )
            return CollectResult(
                sink.points,
                {"analytics_until": end},
                sorted(set(unavailable)),
                session.usage,
                session.calls,
            )

    async def _pricing(
        self,
        session: Session,
        waba: str,
        start: int,
        end: int,
        headers: dict[str, str],
        sink: PointSink,
        unavailable: list[str],
    ) -> None:
        try:
            body = await session.request(
                "GET",
                self.graph_url(waba),
                params={
                    "fields": f"pricing_analytics.start({start}).end({end}).granularity(DAILY)"
                },
                headers=headers,
            )
        except (errors.MetricUnavailable, errors.PermissionDenied):
            unavailable.append("pricing_analytics")
            return
        totals: dict[int, dict[str, float]] = {}
        for block in (body.get("pricing_analytics") or {}).get("data") or []:
            for point in block.get("data_points") or []:
                day = point.get("start")
                if not isinstance(day, int):
                    continue
                bucket = totals.setdefault(day, {})
                for key in ("volume", "cost"):
                    if isinstance(point.get(key), int | float):
                        bucket[key] = bucket.get(key, 0) + point[key]
        for day, values in totals.items():
            sink.add_all(values, period="day", collected_at=datetime.fromtimestamp(day, UTC))

    async def _templates(
        self,
        session: Session,
        waba: str,
        ids: list[str],
        start: int,
        end: int,
        headers: dict[str, str],
        sink: PointSink,
        unavailable: list[str],
    ) -> None:
        try:
            body = await session.request(
                "GET",
                self.graph_url(f"{waba}/template_analytics"),
                params={
                    "start": start,
                    "end": end,
                    "granularity": "DAILY",
                    "metric_types": TEMPLATE_METRICS,
                    "template_ids": "[" + ",".join(ids) + "]",
                },
                headers=headers,
            )
        except (errors.MetricUnavailable, errors.PermissionDenied):
            unavailable.append("template_analytics")
            return
        for block in body.get("data") or []:
            for point in block.get("data_points") or []:
                at = _day(point.get("start"))
                template = point.get("template_id")
                if at is None or template is None:
                    continue
                clicked = point.get("clicked")
                values = {k: point.get(k) for k in ("sent", "delivered", "read")}
                if isinstance(clicked, list):
                    values["clicked"] = sum(
                        int(c.get("count") or 0) for c in clicked if isinstance(c, dict)
                    )
                sink.add_all(
                    values,
                    object_type="template",
                    object_id=str(template),
                    period="day",
                    collected_at=at,
                )

    async def refresh(
        self, credentials: Credentials, on_rotate: RotateCallback | None = None
    ) -> TokenGrant:
        raise errors.RefreshUnsupported(
            "WhatsApp system-user tokens do not refresh; issue a new one in Business Manager",
            platform=self.platform.value,
        )
