"""WhatsApp Business Platform (Cloud API): WABA analytics through the Graph API.

- ``GET /{waba-id}?fields=analytics.start(s).end(e).granularity(DAY)`` → daily sent/delivered;
- ``GET /{waba-id}?fields=pricing_analytics.start(s).end(e).granularity(DAILY)`` → daily
  billable volume and cost (summed over pricing categories);
- ``GET /{waba-id}?fields=conversation_analytics.start(s).end(e).granularity(DAILY)
  .metric_types(["CONVERSATION","COST"]).dimensions(["CONVERSATION_CATEGORY","CONVERSATION_TYPE"])``
  (legacy conversation-based pricing; still returned for free entry point conversations) →
  daily ``conversations`` and ``conversation_cost``, summed over the dimensions;
- ``GET /{waba-id}/message_templates`` (cursor-paged) then ``/{waba-id}/template_analytics``
  (≤10 templates per call) → per-template sent / delivered / read / clicked;
- ``GET /{waba-id}/phone_numbers?fields=id,display_phone_number,verified_name,quality_rating,
  messaging_limit_tier,throughput`` (cursor-paged) → per phone number (object type
  ``phone_number``, id = phone number id) ``messaging_limit`` and ``quality_score`` snapshots,
  enums encoded by :data:`MESSAGING_LIMITS` / :data:`QUALITY_SCORES` (anything else: no point).

Each source is its own part (``account_insights`` — the gate, on the WABA object —,
``pricing``, ``conversations``, ``templates``, ``template_analytics``, ``phone_numbers``): a
failed one (404, invalid field, missing permission) is recorded and the others still arrive;
the optional template edges never fail the account.
On ``phone_numbers`` a refused field named in the error is dropped and the edge re-read
without it; a refusal naming none makes each metric field be read on its own; only refused
fields are reported (``phone_number:<field>``).

Read, failed and received counts per message come from status webhooks, not from here.
System-user tokens do not refresh: :attr:`supports_refresh` is ``False``.
Cursor: ``{"analytics_until": <unix day>}`` — backfilled to ``WHATSAPP_HORIZON_DAYS`` (one
year), then the restatement window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from socialmetrics.platforms import Platform
from socialmetrics.providers import errors
from socialmetrics.providers.base import CollectionContext, PlatformCalls
from socialmetrics.providers.meta import GraphClient
from socialmetrics.providers.types import (
    AccountRef,
    CollectResult,
    Credentials,
    RotateCallback,
    TokenGrant,
)
from socialmetrics.providers.windows import day_span, note_backfill

TEMPLATE_BATCH = 10
TEMPLATE_LOOKBACK = timedelta(days=90)  # template analytics look back 90 days
TEMPLATE_METRICS = '["SENT","DELIVERED","READ","CLICKED"]'
CONVERSATION_FIELD = "conversation_analytics"
CONVERSATION_SPEC = (
    'granularity(DAILY).metric_types(["CONVERSATION","COST"])'
    '.dimensions(["CONVERSATION_CATEGORY","CONVERSATION_TYPE"])'
)
PHONE_BASE_FIELDS = ("id", "display_phone_number", "verified_name")
PHONE_METRIC_FIELDS = ("quality_rating", "messaging_limit_tier", "throughput")
# Business-initiated conversations per 24 h. TIER_UNLIMITED has no number: no point.
MESSAGING_LIMITS = {
    "TIER_50": 50,
    "TIER_250": 250,
    "TIER_1K": 1_000,
    "TIER_2K": 2_000,
    "TIER_10K": 10_000,
    "TIER_100K": 100_000,
}
# quality_rating → quality_score; UNKNOWN / NA have no score: no point.
QUALITY_SCORES = {"GREEN": 3, "YELLOW": 2, "RED": 1}


def _refused(exc: errors.ProviderError) -> bool:
    """A field the platform will not give us: invalid (#100) or not permitted."""
    if isinstance(exc, errors.MetricUnavailable | errors.PermissionDenied):
        return True
    return type(exc) is errors.ProviderError and exc.code == 100


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
        waba = account.platform_user_id
        ids: list[str] = []
        async with self.collection(credentials, cursor, self.api_version) as ctx:
            since, until = day_span(
                cursor.get("analytics_until"),
                ctx.now,
                self.settings.horizon_days(self.platform),
                self.settings.restatement_days,
            )
            start, end = int(since.timestamp()), int(until.timestamp())

            async def analytics() -> None:
                body = await ctx.calls.request(
                    "GET",
                    self.graph_url(waba),
                    params={"fields": f"analytics.start({start}).end({end}).granularity(DAY)"},
                )
                for point in (body.get("analytics") or {}).get("data_points") or []:
                    at = _day(point.get("start"))
                    if at is not None:
                        ctx.sink.add_all(
                            {k: point.get(k) for k in ("sent", "delivered")},
                            period="day",
                            collected_at=at,
                        )

            async def pricing() -> None:
                spec = f"pricing_analytics.start({start}).end({end}).granularity(DAILY)"
                await self._daily_totals(ctx, waba, spec, "pricing_analytics", ("volume", "cost"))

            async def conversations() -> None:
                spec = f"{CONVERSATION_FIELD}.start({start}).end({end}).{CONVERSATION_SPEC}"
                await self._daily_totals(
                    ctx,
                    waba,
                    spec,
                    CONVERSATION_FIELD,
                    ("conversation", "cost"),
                    prefix=f"{CONVERSATION_FIELD}.",
                )

            async def templates() -> None:
                listed = await self.paged(
                    ctx.calls,
                    self.graph_url(f"{waba}/message_templates"),
                    {"fields": "id,name,status"},
                )
                ids.extend(str(t["id"]) for t in listed if "id" in t)

            async def template_analytics() -> None:
                first = max(start, int((until - TEMPLATE_LOOKBACK).timestamp()))
                for i in range(0, len(ids), TEMPLATE_BATCH):
                    await self._templates(ctx, waba, ids[i : i + TEMPLATE_BATCH], first, end)

            async def phone_numbers() -> None:
                await self._phone_numbers(ctx, waba)

            parts = ctx.parts
            await parts.run("account_insights", analytics, gate=True, account_object=True)
            await parts.run("pricing", pricing)
            await parts.run("conversations", conversations)
            if await parts.run("templates", templates):
                await parts.run("template_analytics", template_analytics)
            else:
                parts.record("template_analytics", "skipped", "the template list was not read")
            await parts.run("phone_numbers", phone_numbers)
            cursor_out = dict(cursor)
            if parts.ok("account_insights"):  # the day window moves with the analytics read
                cursor_out["analytics_until"] = end
                note_backfill(cursor_out, ("insights",), "insights", since, end, ctx.now)
            return ctx.result(cursor_out)

    async def _daily_totals(
        self,
        ctx: CollectionContext,
        waba: str,
        spec: str,
        field: str,
        keys: tuple[str, ...],
        prefix: str = "",
    ) -> None:
        """One WABA analytics field summed per day over its breakdowns (category, type…);
        a refused field goes to ``unavailable`` instead of failing the collection."""
        try:
            body = await ctx.calls.request("GET", self.graph_url(waba), params={"fields": spec})
        except errors.ProviderError as exc:
            if not _refused(exc):
                raise
            ctx.unavailable.append(field)
            return
        totals: dict[int, dict[str, float]] = {}
        for block in (body.get(field) or {}).get("data") or []:
            for point in block.get("data_points") or [] if isinstance(block, dict) else []:
                day = point.get("start") if isinstance(point, dict) else None
                if not isinstance(day, int) or isinstance(day, bool):
                    continue
                bucket = totals.setdefault(day, {})
                for key in keys:
                    value = point.get(key)
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        bucket[prefix + key] = bucket.get(prefix + key, 0) + value
        for day, values in sorted(totals.items()):
            ctx.sink.add_all(values, period="day", collected_at=datetime.fromtimestamp(day, UTC))

    async def _phone_numbers(self, ctx: CollectionContext, waba: str) -> None:
        """Every phone number's tier and quality; a refused field is dropped, not fatal.

        All fields in one paged read. If a field is refused, a message naming it (``#100
        nonexisting field (x)``) drops that field and re-reads; otherwise (a ``#200``
        permission error names none) each field is read on its own and merged by id.
        """
        url = self.graph_url(f"{waba}/phone_numbers")
        wanted = list(PHONE_METRIC_FIELDS)
        numbers: dict[str, dict[str, Any]] = {}
        while wanted:
            try:
                self._merge(numbers, await self._phones(ctx.calls, url, wanted))
                break
            except errors.ProviderError as exc:
                if not _refused(exc):
                    raise
                culprit = next((f for f in wanted if f"({f})" in exc.message), None)
                if culprit is not None:
                    ctx.unavailable.append(f"phone_number:{culprit}")
                    wanted.remove(culprit)
                    continue
            for field in wanted:  # split: one field per read
                try:
                    self._merge(numbers, await self._phones(ctx.calls, url, [field]))
                except errors.ProviderError as exc:
                    if not _refused(exc):
                        raise
                    ctx.unavailable.append(f"phone_number:{field}")
            break
        for phone_id, phone in numbers.items():
            tier = MESSAGING_LIMITS.get(str(phone.get("messaging_limit_tier")))
            quality = QUALITY_SCORES.get(str(phone.get("quality_rating")))
            ctx.sink.add_all(
                {"messaging_limit_tier": tier, "quality_rating": quality},
                object_type="phone_number",
                object_id=phone_id,
            )

    async def _phones(
        self, calls: PlatformCalls, url: str, fields: list[str]
    ) -> list[dict[str, Any]]:
        asked = [*PHONE_BASE_FIELDS, *fields]
        phones = await self.paged(calls, url, {"fields": ",".join(asked)})
        return [{k: v for k, v in phone.items() if k in asked} for phone in phones]

    @staticmethod
    def _merge(numbers: dict[str, dict[str, Any]], phones: list[dict[str, Any]]) -> None:
        for phone in phones:
            if phone.get("id") is not None:
                numbers.setdefault(str(phone["id"]), {}).update(phone)

    async def _templates(
        self, ctx: CollectionContext, waba: str, ids: list[str], start: int, end: int
    ) -> None:
        try:
            body = await ctx.calls.request(
                "GET",
                self.graph_url(f"{waba}/template_analytics"),
                params={
                    "start": start,
                    "end": end,
                    "granularity": "DAILY",
                    "metric_types": TEMPLATE_METRICS,
                    "template_ids": "[" + ",".join(ids) + "]",
                },
            )
        except (errors.MetricUnavailable, errors.PermissionDenied):
            ctx.unavailable.append("template_analytics")
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
                ctx.sink.add_all(
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
