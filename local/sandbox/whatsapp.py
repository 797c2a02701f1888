"""WhatsApp Business accounts (WABAs) on the Graph API: phone numbers, message templates,
the ``analytics``/``pricing_analytics``/``conversation_analytics`` fields and
``template_analytics``."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request

from local.sandbox import responses as r
from local.sandbox.core import DAY, cursor, epoch
from local.sandbox.graph import Dialect, Node, graph_fields, nonexisting, owned, page, param_error
from local.sandbox.state import Account, phone_profile

PHONE_FIELDS = (
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "messaging_limit_tier",
    "throughput",
)
ANALYTICS = ("analytics", "pricing_analytics", "conversation_analytics")
# conversation_analytics rows per day: (category, type, cost per conversation)
CONVERSATIONS = (("SERVICE", "FREE_ENTRY_POINT", 0.0), ("UTILITY", "REGULAR", 0.008))

DIALECTS = {"WhatsApp": Dialect("whatsapp_business_management", 80008)}


class WhatsApp(Node):
    platform = "WhatsApp"

    def profile(self, account: Account) -> dict[str, Any]:
        return {"name": f"Sandbox WABA {account.id}", "currency": "USD"}

    def field(self, account: Account, head: str, spec: str) -> Any:
        if head in account.denied_metrics:
            raise r.Reply(r.graph_error("forbidden"))
        if head in account.invalid_metrics:
            raise nonexisting(head, "WhatsAppBusinessAccount")
        if head in ANALYTICS:
            return self._analytics(account, head, spec)
        return None

    def edge(self, request: Request, account: Account, edge: str) -> dict[str, Any]:
        if edge == "template_analytics":
            return self._template_analytics(request, account)
        if edge == "phone_numbers":
            fields = graph_fields(request.query_params.get("fields"))
            return page(request, [self._phone(account, p, fields) for p in account.phones])
        if edge == "message_templates":
            templates = [
                {
                    "id": p.id,
                    "name": f"template_{p.id}",
                    "status": "APPROVED",
                    "language": "en_US",
                    "category": "UTILITY",
                }
                for p in account.posts
            ]
            return page(request, templates)
        return super().edge(request, account, edge)

    def _phone(self, account: Account, phone: str, fields: list[str]) -> dict[str, Any]:
        for name in fields:
            if name in account.denied_metrics:
                raise r.Reply(r.graph_error("forbidden"))
            if name in account.invalid_metrics or name not in PHONE_FIELDS:
                raise nonexisting(name, "WhatsAppBusinessPhoneNumber")
        tier, quality = phone_profile(self.core.state.seed, account.id, phone)
        values: dict[str, Any] = {
            "id": phone,
            "display_phone_number": f"+1 555-{phone[-7:-4]}-{phone[-4:]}",
            "verified_name": f"Sandbox {account.id}",
            "quality_rating": quality,
            "messaging_limit_tier": tier,
            "throughput": {"level": "STANDARD"},
        }
        return {k: v for k, v in values.items() if k in fields or k == "id"}

    def _analytics(self, account: Account, head: str, spec: str) -> dict[str, Any]:
        args = dict(re.findall(r"\.(\w+)\(([^)]*)\)", spec))
        try:
            start, end = int(args["start"]), int(args["end"])
        except (KeyError, ValueError):
            raise param_error(f"(#100) {head} requires start and end") from None
        days = range(start - start % DAY, end, DAY)
        if head == "conversation_analytics":
            rows: list[dict[str, Any]] = []
            for d in days:
                for category, kind, rate in CONVERSATIONS:
                    count = self.n(account, "conversation", category, d, high=120)
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
                    "sent": (sent := self.n(account, "sent", d, high=500)),
                    "delivered": sent - self.n(account, "undelivered", d, high=min(sent, 20)),
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
                volume = self.n(account, "volume", category, d, high=200)
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

    def _template_analytics(self, request: Request, account: Account) -> dict[str, Any]:
        q = request.query_params
        start, end = epoch(q.get("start")), epoch(q.get("end"))
        try:
            ids = json.loads(q.get("template_ids", "[]"))
        except ValueError:
            ids = None
        if start is None or end is None or not isinstance(ids, list) or not 1 <= len(ids) <= 10:
            raise param_error(
                "(#100) template_ids must list 1 to 10 templates; start and end are required"
            )
        points = []
        for template in ids:
            owned(self.core.state, account, str(template))
            for d in range(start - start % DAY, end, DAY):
                sent = self.n(account, template, "sent", d, high=300)
                delivered = sent - self.n(account, template, "lost", d, high=min(sent, 10))
                points.append(
                    {
                        "template_id": str(template),
                        "start": d,
                        "end": d + DAY,
                        "sent": sent,
                        "delivered": delivered,
                        "read": delivered - self.n(account, template, "unread", d, high=delivered),
                        "clicked": [
                            {
                                "type": "quick_reply_button",
                                "button_content": "Yes",
                                "count": self.n(account, template, "click", d, high=40),
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
            "paging": {"cursors": {"before": cursor(0), "after": cursor(1)}},
        }
