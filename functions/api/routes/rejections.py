"""``GET /webhooks/rejections`` (admin): webhook entries ingest refused, and why."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from functions.api.deps import (
    PAGE_HEADERS,
    AdminActor,
    CursorQ,
    DbSession,
    LimitQ,
    header_refs,
    next_page_headers,
    page_limit,
    problem_responses,
    route,
)
from functions.api.schemas import WebhookRejectionOut
from socialmetrics import cursors
from socialmetrics.compliance.audit import audit
from socialmetrics.webhooks import queries

router = APIRouter(tags=["webhooks"])


@route(
    router,
    "GET",
    "/webhooks/rejections",
    operation_id="listWebhookRejections",
    summary="List rejected webhook entries (admin), newest first, keyset-paginated",
    response_model=list[WebhookRejectionOut],
    responses={200: {"headers": header_refs(*PAGE_HEADERS)}, **problem_responses(401, 403)},
)
def list_rejections(
    session: DbSession,
    request: Request,
    actor: AdminActor,
    limit: LimitQ = None,
    cursor: CursorQ = None,
    provider: Literal["meta", "x", "tiktok"] | None = None,
) -> Response:
    size = page_limit(limit, 100)
    before = cursors.decode_id("w1", cursor) if cursor else None
    rows, next_cursor = cursors.id_page(
        queries.list_rejections(session, limit=size + 1, before_id=before, provider=provider),
        size,
        "w1",
        lambda row: row.rejection_id,
    )
    audit(session, actor, "webhook.rejections.list", "webhook", None)
    body = [
        WebhookRejectionOut.model_validate(row, from_attributes=True).model_dump(mode="json")
        for row in rows
    ]
    return JSONResponse(body, headers=next_page_headers(request, next_cursor))
