"""A client's outbound webhook endpoints (docs/webhooks.md, "Outbound"): register, list,
read, delete, rotate the secret, the delivery log and a manual retry. Own endpoints only."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
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
from functions.api.schemas import (
    WebhookDeliveryOut,
    WebhookEndpointCreated,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookSecretRotated,
)
from socialmetrics import cursors
from socialmetrics.config import get_settings
from socialmetrics.errors import Forbidden, ServiceUnavailable
from socialmetrics.signals import endpoints

router = APIRouter(tags=["webhook endpoints"])
EndpointId = Annotated[int, Path(ge=1, le=MAX_ID)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID)]


async def tenant(actor: CurrentActor) -> int:
    """The signed-in user whose endpoints these are (admins manage their own, too)."""
    if actor.user_id is None:
        raise Forbidden("Webhook endpoints belong to a signed-in user.")
    return actor.user_id


Tenant = Annotated[int, Depends(tenant)]


def _out(view: endpoints.EndpointView) -> WebhookEndpointOut:
    return WebhookEndpointOut.model_validate(asdict(view))


@route(
    router,
    "POST",
    "/webhook-endpoints",
    operation_id="createWebhookEndpoint",
    summary="Register a webhook endpoint; the signing secret is returned once",
    status_code=201,
    response_model=WebhookEndpointCreated,
    responses=problem_responses(401, 409, 413),
)
def create(session: DbSession, body: WebhookEndpointIn, user_id: Tenant) -> WebhookEndpointCreated:
    view, secret = endpoints.create_endpoint(
        session,
        user_id,
        body.url,
        list(body.event_types),
        body.description,
        get_settings(),
    )
    return WebhookEndpointCreated(**asdict(view), secret=secret.get_secret_value())


@route(
    router,
    "GET",
    "/webhook-endpoints",
    operation_id="listWebhookEndpoints",
    summary="The caller's webhook endpoints (secrets are never returned)",
    response_model=list[WebhookEndpointOut],
    responses=problem_responses(401),
)
def list_all(session: DbSession, user_id: Tenant) -> list[WebhookEndpointOut]:
    return [_out(v) for v in endpoints.list_endpoints(session, user_id)]


@route(
    router,
    "GET",
    "/webhook-endpoints/{endpoint_id}",
    operation_id="getWebhookEndpoint",
    summary="One of the caller's webhook endpoints",
    response_model=WebhookEndpointOut,
    responses=problem_responses(401, 404),
)
def get_one(session: DbSession, endpoint_id: EndpointId, user_id: Tenant) -> WebhookEndpointOut:
    return _out(endpoints.get_endpoint(session, user_id, endpoint_id))


@route(
    router,
    "DELETE",
    "/webhook-endpoints/{endpoint_id}",
    operation_id="deleteWebhookEndpoint",
    summary="Delete an endpoint and its delivery log",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 404),
)
def delete(session: DbSession, endpoint_id: EndpointId, user_id: Tenant) -> Response:
    endpoints.delete_endpoint(session, user_id, endpoint_id)
    return Response(status_code=204)


@route(
    router,
    "POST",
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    operation_id="rotateWebhookEndpointSecret",
    summary="New signing secret (returned once); the previous one signs too for an overlap",
    response_model=WebhookSecretRotated,
    responses=problem_responses(401, 404),
)
def rotate(session: DbSession, endpoint_id: EndpointId, user_id: Tenant) -> WebhookSecretRotated:
    secret, until = endpoints.rotate_secret(
        session, user_id, endpoint_id, get_settings(), datetime.now(UTC)
    )
    return WebhookSecretRotated(secret=secret.get_secret_value(), previous_secret_expires_at=until)


@route(
    router,
    "GET",
    "/webhook-endpoints/{endpoint_id}/deliveries",
    operation_id="listWebhookDeliveries",
    summary="The endpoint's delivery log, newest first: status code, latency, attempts "
    "(keyset-paginated)",
    response_model=list[WebhookDeliveryOut],
    responses={200: {"headers": header_refs(*PAGE_HEADERS)}, **problem_responses(401, 404)},
)
def deliveries(
    session: DbSession,
    endpoint_id: EndpointId,
    user_id: Tenant,
    request: Request,
    limit: LimitQ = None,
    cursor: CursorQ = None,
) -> JSONResponse:
    size = page_limit(limit, 50)
    before = cursors.decode_id("d1", cursor) if cursor else None
    rows, next_cursor = cursors.id_page(
        endpoints.list_deliveries(session, user_id, endpoint_id, size + 1, before),
        size,
        "d1",
        lambda row: row.id,
    )
    body = [WebhookDeliveryOut.model_validate(asdict(r)).model_dump(mode="json") for r in rows]
    return JSONResponse(body, headers=next_page_headers(request, next_cursor))


@route(
    router,
    "POST",
    "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry",
    operation_id="retryWebhookDelivery",
    summary="Deliver again now (re-enables a disabled endpoint)",
    status_code=202,
    response_model=WebhookDeliveryOut,
    responses=problem_responses(401, 404, 409),
)
def retry(
    session: DbSession, endpoint_id: EndpointId, delivery_id: DeliveryId, user_id: Tenant
) -> WebhookDeliveryOut:
    from socialmetrics.signals.delivery import DeliveryMessage, enqueue

    endpoints.schedule_retry(session, user_id, endpoint_id, delivery_id)
    view = next(
        r for r in endpoints.list_deliveries(session, user_id, endpoint_id, 1, delivery_id + 1)
    )
    try:
        enqueue([DeliveryMessage(delivery_id=delivery_id, attempts=view.attempts)])
    except Exception as exc:  # the row change rolls back with the request
        raise ServiceUnavailable("The delivery queue is unavailable.") from exc
    return WebhookDeliveryOut.model_validate(asdict(view))
