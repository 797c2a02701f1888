"""``GET /webhooks/rejections`` (admin): webhook entries ingest refused, and why."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from functions.api.deps import MAX_ID, AdminActor, DbSession, problem_responses, route
from functions.api.schemas import WebhookRejectionOut
from socialmetrics.compliance.audit import audit
from socialmetrics.webhooks import queries

router = APIRouter(tags=["webhooks"])


@route(
    router,
    "GET",
    "/webhooks/rejections",
    operation_id="listWebhookRejections",
    summary="List rejected webhook entries (admin), newest first; the next page's cursor is "
    "in X-Next-Cursor",
    response_model=list[WebhookRejectionOut],
    responses=problem_responses(401, 403),
)
def list_rejections(
    session: DbSession,
    actor: AdminActor,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ID, description="X-Next-Cursor")] = None,
    provider: Literal["meta", "x", "tiktok"] | None = None,
) -> Response:
    rows = queries.list_rejections(session, limit=limit + 1, before_id=cursor, provider=provider)
    audit(session, actor, "webhook.rejections.list", "webhook", None)
    headers = {}
    if len(rows) > limit:
        rows = rows[:limit]
        headers["X-Next-Cursor"] = str(rows[-1].rejection_id)
    body = [
        WebhookRejectionOut.model_validate(row, from_attributes=True).model_dump(mode="json")
        for row in rows
    ]
    return JSONResponse(body, headers=headers)
