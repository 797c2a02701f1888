"""Usage and estimated cost per tenant (``GET /usage``: clients their own, admins every
tenant's) and the monthly X budget that pauses X collection (``PUT /usage/budget``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from functions.api.deps import MAX_ID, CurrentActor, DbSession, problem_responses, route
from functions.api.schemas import BudgetIn, Message, UsageOut, UsageReport
from socialmetrics.config import get_settings
from socialmetrics.errors import InvalidInput
from socialmetrics.identity.service import visible_user
from socialmetrics.usage.service import set_x_budget, usage_report, x_budget

router = APIRouter(tags=["usage"])
MAX_DAYS = 366


@route(
    router,
    "GET",
    "/usage",
    operation_id="getUsage",
    summary="Platform calls and X billed reads per day with estimated cost",
    response_model=UsageReport,
    responses=problem_responses(401),
)
def get_usage(
    session: DbSession,
    actor: CurrentActor,
    since: Annotated[date | None, Query(description="First UTC day (default: 30 days ago)")] = None,
    until: Annotated[date | None, Query(description="Last UTC day (default: today)")] = None,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Admins only")] = None,
) -> UsageReport:
    today = datetime.now(UTC).date()
    until = until or today
    since = since or until - timedelta(days=30)
    if since > until or (until - since).days > MAX_DAYS:
        raise InvalidInput(f"since must be on or before until, at most {MAX_DAYS} days apart.")
    tenant = user_id if actor.is_admin else actor.user_id
    if tenant is not None and not actor.is_admin:
        visible_user(session, actor, tenant)
    rows = usage_report(session, tenant, since, until, get_settings())
    budget = None
    if not actor.is_admin and actor.user_id is not None:
        value = x_budget(session, actor.user_id)
        budget = None if value is None else str(value)
    return UsageReport(
        data=[
            UsageOut(
                user_id=r.user_id,
                platform=r.platform,
                day=r.day.isoformat(),
                calls=r.calls,
                post_reads=r.post_reads,
                user_reads=r.user_reads,
                estimated_cost_usd=str(r.estimated_cost_usd),
            )
            for r in rows
        ],
        x_monthly_budget_usd=budget,
    )


@route(
    router,
    "PUT",
    "/usage/budget",
    operation_id="setXBudget",
    summary="Set (or clear with null) a tenant's monthly X budget in USD",
    response_model=Message,
    responses=problem_responses(401, 404),
)
def set_budget(session: DbSession, body: BudgetIn, actor: CurrentActor) -> Message:
    visible_user(session, actor, body.user_id)
    amount = body.x_monthly_budget_usd
    set_x_budget(session, body.user_id, None if amount is None else Decimal(str(amount)))
    return Message(message="Budget saved")
