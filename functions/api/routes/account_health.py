"""Token health: ``GET /accounts/health`` and ``GET /accounts/{id}/health``. Clients see their
own accounts, admins every tenant's. Registered before the accounts router so the literal
``/accounts/health`` is never read as an account id."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from functions.api.deps import (
    MAX_ID,
    PAGE_HEADERS,
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
from functions.api.schemas import AccountHealthOut
from socialmetrics import cursors
from socialmetrics.accounts import health
from socialmetrics.config import get_settings

router = APIRouter(tags=["accounts"])


@route(
    router,
    "GET",
    "/accounts/health",
    operation_id="listAccountHealth",
    summary="Token health of the caller's accounts (admins: every tenant's), by id, "
    "keyset-paginated",
    response_model=list[AccountHealthOut],
    responses={200: {"headers": header_refs(*PAGE_HEADERS)}, **problem_responses(401)},
)
def list_health(
    session: DbSession,
    request: Request,
    actor: CurrentActor,
    limit: LimitQ = None,
    cursor: CursorQ = None,
) -> JSONResponse:
    size = page_limit(limit, 100)
    after = cursors.decode_id("h1", cursor) if cursor else None
    rows, next_cursor = cursors.id_page(
        health.list_health(
            session,
            None if actor.is_admin else actor.user_id,
            get_settings(),
            datetime.now(UTC),
            size + 1,
            after,
        ),
        size,
        "h1",
        lambda row: row.account_id,
    )
    body = [AccountHealthOut.model_validate(asdict(r)).model_dump(mode="json") for r in rows]
    return JSONResponse(body, headers=next_page_headers(request, next_cursor))


@route(
    router,
    "GET",
    "/accounts/{account_id}/health",
    operation_id="getAccountHealth",
    summary="Token health of one account",
    response_model=AccountHealthOut,
    responses=problem_responses(401, 404),
)
def one_health(
    session: DbSession, account_id: Annotated[int, Path(ge=1, le=MAX_ID)], actor: CurrentActor
) -> AccountHealthOut:
    row = health.account_health(
        session,
        None if actor.is_admin else actor.user_id,
        account_id,
        get_settings(),
        datetime.now(UTC),
    )
    return AccountHealthOut.model_validate(asdict(row))
