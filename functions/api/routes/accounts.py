"""Platform accounts: their status, backfill and collection runs (each part's outcome), and
the admin's collect-now. A client sees only its own accounts; another user's id is a 404.

Lists are keyset-paginated like ``GET /metrics/``: a JSON array, the next page's opaque
cursor in ``X-Next-Cursor`` (and a ``Link: rel="next"`` header), none on the last page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from functions.api.deps import (
    MAX_ID,
    PAGE_HEADERS,
    AdminActor,
    CurrentActor,
    CursorQ,
    DbSession,
    LimitQ,
    header_refs,
    next_page_headers,
    page_limit,
    problem_responses,
    route,
)
from functions.api.schemas import AccountOut, BackfillOut, PartOut, RunOut
from socialmetrics.accounts import queries
from socialmetrics.accounts.platforms import find_platform
from socialmetrics.aws import client, queue_url
from socialmetrics.collection.planning import AccountNotCollectable, enqueue_now
from socialmetrics.compliance.audit import Actor, audit
from socialmetrics.config import get_settings
from socialmetrics.errors import InvalidInput, NotFound, ServiceUnavailable
from socialmetrics.platforms import FAMILY

router = APIRouter(tags=["accounts"])
AccountId = Annotated[int, Path(ge=1, le=MAX_ID)]
StatusQ = Annotated[Literal["active", "reauth_required", "not_found", "revoked"] | None, Query()]
PlatformQ = Annotated[
    str | None, Query(min_length=1, max_length=50, description="Platform name, case-insensitive")
]
UserIdQ = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Whose accounts (admins)")]
DEFAULT_PAGE = 50


def _run_out(run: queries.Run) -> RunOut:
    return RunOut(
        id=run.id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        outcome=run.outcome,  # type: ignore[arg-type]
        points_written=run.points_written,
        parts=[
            PartOut(name=p.name, status=p.status, detail=p.detail, retry_at=p.retry_at)  # type: ignore[arg-type]
            for p in run.parts
        ],
    )


def _account_out(view: queries.AccountView) -> AccountOut:
    return AccountOut(
        id=view.id,
        user_id=view.user_id,
        platform=view.platform,
        platform_user_id=view.platform_user_id,
        status=view.status,  # type: ignore[arg-type]
        status_reason=view.status_reason,
        paused_until=view.paused_until,
        token_expires_at=view.token_expires_at,
        refresh_expires_at=view.refresh_expires_at,
        last_success_at=view.last_success_at,
        next_collect_at=view.next_collect_at,
        backfill=BackfillOut(complete=view.backfill_complete, oldest_reached=view.oldest_reached),
        last_run=_run_out(view.last_run) if view.last_run else None,
    )


def _owner_scope(actor: Actor, user_id: int | None) -> int | None:
    """Whose accounts: a client only ever its own (any other id is 404); an admin anyone's."""
    if actor.is_admin:
        return user_id
    if user_id is not None and user_id != actor.user_id:
        raise NotFound("User not found.")
    return actor.user_id


def _visible_account(session: Session, actor: Actor, account_id: int) -> queries.AccountView:
    settings = get_settings()
    views, _ = queries.list_accounts(
        session,
        user_id=_owner_scope(actor, None),
        platform_id=None,
        status=None,
        limit=1,
        cursor=None,
        now=datetime.now(UTC),
        pause_pct=settings.rate_limit_pause_pct,
        account_id=account_id,
    )
    if not views:
        raise NotFound("Account not found.")
    return views[0]


@route(
    router,
    "GET",
    "/accounts",
    operation_id="listAccounts",
    summary="Connected accounts (yours; admins: all or ?user_id=), keyset-paginated",
    response_model=list[AccountOut],
    responses={200: {"headers": header_refs(*PAGE_HEADERS)}, **problem_responses(401, 404)},
)
def list_accounts(
    session: DbSession,
    request: Request,
    actor: CurrentActor,
    user_id: UserIdQ = None,
    platform: PlatformQ = None,
    status: StatusQ = None,
    limit: LimitQ = None,
    cursor: CursorQ = None,
) -> JSONResponse:
    settings = get_settings()
    platform_id = None
    if platform is not None:
        row = None if "\x00" in platform else find_platform(session, platform)
        if row is None:
            raise InvalidInput(
                f"Unknown platform {platform!r}.",
                errors=[{"loc": ["query", "platform"], "msg": "unknown platform"}],
            )
        platform_id = row.id
    views, next_cursor = queries.list_accounts(
        session,
        user_id=_owner_scope(actor, user_id),
        platform_id=platform_id,
        status=status,
        limit=page_limit(limit, DEFAULT_PAGE),
        cursor=cursor,
        now=datetime.now(UTC),
        pause_pct=settings.rate_limit_pause_pct,
    )
    body = [_account_out(v).model_dump(mode="json") for v in views]
    return JSONResponse(body, headers=next_page_headers(request, next_cursor))


@route(
    router,
    "GET",
    "/accounts/{account_id}",
    operation_id="getAccount",
    summary="One connected account: status, schedule, backfill and last run",
    response_model=AccountOut,
    responses=problem_responses(401, 404),
)
def get_account(session: DbSession, account_id: AccountId, actor: CurrentActor) -> AccountOut:
    return _account_out(_visible_account(session, actor, account_id))


@route(
    router,
    "GET",
    "/accounts/{account_id}/runs",
    operation_id="listAccountRuns",
    summary="The account's collection runs, newest first, with each part's outcome",
    response_model=list[RunOut],
    responses={200: {"headers": header_refs(*PAGE_HEADERS)}, **problem_responses(401, 404)},
)
def list_runs(
    session: DbSession,
    request: Request,
    account_id: AccountId,
    actor: CurrentActor,
    limit: LimitQ = None,
    cursor: CursorQ = None,
) -> JSONResponse:
    _visible_account(session, actor, account_id)
    runs, next_cursor = queries.list_runs(
        session, account_id, page_limit(limit, DEFAULT_PAGE), cursor
    )
    body = [_run_out(r).model_dump(mode="json") for r in runs]
    return JSONResponse(body, headers=next_page_headers(request, next_cursor))


class CollectQueued(BaseModel):
    message: str
    account_id: int
    job_id: str
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "message": "Collection queued",
                    "account_id": 7,
                    "job_id": "manual-3f2a9c0d1b4e5f60",
                }
            ]
        }
    )


@route(
    router,
    "POST",
    "/accounts/{account_id}/collect",
    operation_id="collectAccountNow",
    summary="Collect one account now (admin): queues it for the collector",
    status_code=202,
    response_model=CollectQueued,
    responses=problem_responses(401, 403, 404),
)
def collect_now(session: DbSession, account_id: AccountId, actor: AdminActor) -> CollectQueued:
    keys = sorted({f"collect-{family}" for family in FAMILY.values()})
    try:
        urls = {key: queue_url(key) for key in keys}
        job_id = enqueue_now(session, client("sqs"), urls, account_id)
    except AccountNotCollectable:
        raise NotFound("No active account with this id.") from None
    except Exception as exc:
        raise ServiceUnavailable("The collection queue is unavailable.") from exc
    audit(
        session,
        actor,
        "account.collect_now",
        "account",
        account_id,
        request_id=actor.request_id,
        source_ip=actor.source_ip,
        detail={"job_id": job_id},
    )
    return CollectQueued(message="Collection queued", account_id=account_id, job_id=job_id)
