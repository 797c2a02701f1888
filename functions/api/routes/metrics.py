"""``GET /metrics/`` (keyset pages, JSON or streamed CSV) and ``GET /metrics/summary``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from functions.api.deps import (
    MAX_ID,
    MAX_PLATFORM_ID,
    PAGE_HEADERS,
    CurrentActor,
    CursorQ,
    DbSession,
    LimitQ,
    blocking,
    header_refs,
    next_page_headers,
    page_limit,
    problem_responses,
    route,
)
from functions.api.routes.exports import JOB_RESPONSE, csv_reply
from functions.api.schemas import MetricList, SummaryList
from socialmetrics import bounds
from socialmetrics.accounts.platforms import find_platform
from socialmetrics.compliance.audit import Actor, audit
from socialmetrics.config import get_settings
from socialmetrics.db.models import Account, PlatformRow
from socialmetrics.errors import InvalidInput, NotFound
from socialmetrics.exports.queries import ExportJob
from socialmetrics.exports.service import ExportRequest, csv_export
from socialmetrics.identity.service import visible_user
from socialmetrics.metrics_query import service as query
from socialmetrics.metrics_query.fields import (
    METRIC_FIELDS,
    csv_lines,
    example,
    metric_json,
    summary_json,
)
from socialmetrics.metrics_query.service import MetricFilter
from socialmetrics.points import ObjectType, Period

router = APIRouter(tags=["metrics"])

UserIdQ = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Whose metrics (admins)")]
PlatformQ = Annotated[
    str | None,
    Query(min_length=1, max_length=50, description="Platform name, case-insensitive"),
]
PlatformIdQ = Annotated[int | None, Query(ge=1, le=MAX_PLATFORM_ID)]
AccountIdQ = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="One platform account (`account_id` of your tokens)"),
]
ObjectTypeQ = Annotated[ObjectType | None, Query(description="account, post, video, …")]
PeriodQ = Annotated[Period | None, Query(description="snapshot, lifetime, day, …")]
MetricTypeQ = Annotated[str | None, Query(min_length=1, max_length=64, examples=["impressions"])]
DateQ = Annotated[
    str | None,
    Query(max_length=40, description="A date (YYYY-MM-DD) or an ISO 8601 datetime"),
]


class MetricQuery(BaseModel):
    """The filters and paging both metric routes take (the seed's query string, extended)."""

    user_id: UserIdQ = None
    platform: PlatformQ = None
    platform_id: PlatformIdQ = None
    account_id: AccountIdQ = None
    metric_type: MetricTypeQ = None
    object_type: ObjectTypeQ = None
    period: PeriodQ = None
    start_date: DateQ = None
    end_date: DateQ = None
    limit: LimitQ = None
    cursor: CursorQ = None


Filters = Annotated[MetricQuery, Query()]
# The CSV export of the metric example (same fields, order and encoding as a real export).
CSV_EXAMPLE = "".join(
    csv_lines([{**example(METRIC_FIELDS), "collected_at": datetime(2025, 1, 2, 10, tzinfo=UTC)}])
)


def _parse_moment(name: str, value: str, *, end: bool) -> datetime | None:
    """The UTC instant a bound names (an end is exclusive); ``None`` for an end after which
    no instant exists (``9999-12-31``): an open end. Years 1-9999 in UTC, else 422."""
    if "\x00" in value:
        raise InvalidInput(f"{name} is not a date or datetime.")
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment, step = datetime(day.year, day.month, day.day, tzinfo=UTC), timedelta(days=1)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            moment = bounds.utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
            step = timedelta(microseconds=1)
    except ValueError:
        raise InvalidInput(
            f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 datetime within years "
            "1-9999 (UTC).",
            errors=[{"loc": ["query", name], "msg": "invalid date"}],
        ) from None
    if not end:
        return moment
    try:
        return moment + step
    except OverflowError:
        return None


def _text(name: str, value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise InvalidInput(f"{name} must not contain NUL characters.")
    return value


def _platform(session: Session, name: str | None, platform_id: int | None) -> int | None:
    if name is not None:
        row = find_platform(session, name)
        if row is None:
            raise InvalidInput(
                f"Unknown platform {name!r}.",
                errors=[{"loc": ["query", "platform"], "msg": "unknown platform"}],
            )
        if platform_id is not None and platform_id != row.id:
            raise InvalidInput("platform and platform_id name different platforms.")
        return row.id
    if platform_id is not None and session.get(PlatformRow, platform_id) is None:
        raise InvalidInput("Unknown platform_id.")
    return platform_id


def _account(
    session: Session, actor: Actor, user_id: int | None, account_id: int
) -> tuple[int, int]:
    """The (user, platform) of the account filter: an account of ``user_id`` if given, and of
    the caller unless an admin; else 404, like another user's id, so another tenant's account
    ids are never confirmed."""
    owner = session.execute(
        select(Account.user_id, Account.platform_id).where(Account.id == account_id)
    ).one_or_none()
    if (
        owner is None
        or (user_id is not None and owner.user_id != user_id)
        or (not actor.is_admin and owner.user_id != actor.user_id)
    ):
        raise NotFound("Account not found.")
    return owner.user_id, owner.platform_id


def _requester(actor: Actor) -> int:
    if actor.user_id is None:  # a JWT always names a user; only system actors have none
        raise NotFound("User not found.")
    return actor.user_id


def _scope(session: Session, actor: Actor, user_id: int | None, action: str) -> int | None:
    """The user whose metrics are read: a client only ever its own (any other id is 404)."""
    if not actor.is_admin:
        if user_id is not None and user_id != actor.user_id:
            raise NotFound("User not found.")
        return actor.user_id
    if user_id is not None:
        visible_user(session, actor, user_id, audit_action=action)
        return user_id
    audit(session, actor, action + "_all", "user", None)
    return None


def _filter(session: Session, actor: Actor, action: str, q: MetricQuery) -> MetricFilter:
    start = _parse_moment("start_date", q.start_date, end=False) if q.start_date else None
    end = _parse_moment("end_date", q.end_date, end=True) if q.end_date else None
    if start is not None and end is not None and end <= start:
        raise InvalidInput("end_date is before start_date.")
    user_id = q.user_id
    platform_id = _platform(session, _text("platform", q.platform), q.platform_id)
    if q.account_id is not None:
        user_id, account_platform = _account(session, actor, q.user_id, q.account_id)
        if platform_id is not None and platform_id != account_platform:
            raise InvalidInput("account_id is not an account of that platform.")
    return MetricFilter(
        user_id=_scope(session, actor, user_id, action),
        platform_id=platform_id,
        account_id=q.account_id,
        metric_type=_text("metric_type", q.metric_type),
        object_type=q.object_type,
        period=q.period,
        start=start,
        end=end,
    )


@route(
    router,
    "GET",
    "/metrics/",
    operation_id="listMetrics",
    summary="Metrics, newest first, keyset-paginated (X-Next-Cursor); Accept: text/csv exports "
    "(a large export answers 202 with an export job)",
    response_model=MetricList,
    responses={
        200: {
            "description": "A page of metrics (JSON), or all matching rows as CSV",
            "headers": header_refs(*PAGE_HEADERS, "Content-Disposition"),
            "content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}},
        },
        202: JOB_RESPONSE,
        **problem_responses(401, 404),
    },
)
async def list_metrics(
    session: DbSession,
    request: Request,
    actor: CurrentActor,
    q: Filters,
    accept: Annotated[str | None, Header(max_length=512)] = None,
) -> Response:
    wants_csv = "text/csv" in (accept or "").lower()
    page = page_limit(q.limit, 100)
    now = datetime.now(UTC)

    def export() -> bytes | ExportJob:
        f = _filter(session, actor, "metrics.read", q)
        after = query.decode_cursor(q.cursor) if q.cursor else None
        wanted = ExportRequest(f, after, q.limit)
        exported = csv_export(session, _requester(actor), get_settings(), wanted, now)
        session.commit()  # a new job's row is visible before its message is queued
        return exported

    def read() -> tuple[list[query.MetricRow], str | None]:
        f = _filter(session, actor, "metrics.read", q)
        if q.cursor:
            query.decode_cursor(q.cursor)
        return query.list_metrics(session, f, page, q.cursor)

    if wants_csv:
        return csv_reply(await blocking(request, export), now)
    rows, next_cursor = await blocking(request, read)
    return JSONResponse(
        [metric_json(r) for r in rows], headers=next_page_headers(request, next_cursor)
    )


@route(
    router,
    "GET",
    "/metrics/summary",
    operation_id="getMetricsSummary",
    summary="Metric values per time bucket (day|week|month) with sum|avg|min|max|last, "
    "one row per account, metric type, object type and period",
    response_model=SummaryList,
    responses={200: {"headers": header_refs(*PAGE_HEADERS)}, **problem_responses(401, 404)},
)
def summary(
    session: DbSession,
    request: Request,
    actor: CurrentActor,
    q: Filters,
    interval: Literal["day", "week", "month"] = "day",
    agg: Literal["sum", "avg", "min", "max", "last"] = "sum",
) -> Response:
    page = page_limit(q.limit, 1000)
    f = _filter(session, actor, "metrics.summary", q)
    rows, next_cursor = query.summarise(session, f, interval, agg, page, q.cursor)
    body = [summary_json(r) for r in rows]
    return JSONResponse(body, headers=next_page_headers(request, next_cursor))
