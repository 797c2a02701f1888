"""Token health: ``GET /accounts/health`` and ``GET /accounts/{id}/health``. Clients see their
own accounts, admins every tenant's. Registered before the accounts router so the literal
``/accounts/health`` is never read as an account id."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from functions.api.deps import MAX_ID, CurrentActor, DbSession, problem_responses, route
from functions.api.schemas import AccountHealthOut, AccountHealthPage
from socialmetrics.accounts import health
from socialmetrics.config import get_settings

router = APIRouter(tags=["accounts"])


@route(
    router,
    "GET",
    "/accounts/health",
    operation_id="listAccountHealth",
    summary="Token health of the caller's accounts (admins: every tenant's), by id",
    response_model=AccountHealthPage,
    responses=problem_responses(401),
)
def list_health(
    session: DbSession,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> AccountHealthPage:
    rows = health.list_health(
        session,
        None if actor.is_admin else actor.user_id,
        get_settings(),
        datetime.now(UTC),
        limit,
        after,
    )
    return AccountHealthPage(
        data=[AccountHealthOut.model_validate(asdict(r)) for r in rows],
        next_after=rows[-1].account_id if len(rows) == limit else None,
    )


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
