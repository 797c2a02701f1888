"""Platform tokens: register (or rotate), list metadata, revoke. A token is never returned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Response

from functions.api.deps import MAX_ID, CurrentActor, problem_responses, route
from functions.api.schemas import Message, RegisterTokenIn, TokenMetadataList
from socialmetrics.accounts import service as accounts
from socialmetrics.db.engine import unit_of_work
from socialmetrics.identity.service import visible_user
from socialmetrics.registration import register_token

router = APIRouter(tags=["tokens"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
AccountId = Annotated[int, Path(ge=1, le=MAX_ID)]


@route(
    router,
    "POST",
    "/users/register-token/",
    operation_id="registerToken",
    summary="Register a platform account's token (stored envelope-encrypted)",
    status_code=201,
    response_model=Message,
    responses={
        201: {
            "content": {
                "application/json": {"example": {"message": "Token registered successfully"}}
            }
        },
        **problem_responses(401, 404, 409, 413),
    },
)
def register(body: RegisterTokenIn, actor: CurrentActor) -> Message:
    now = datetime.now(UTC)
    expires_at = body.expires_at or (
        now + timedelta(seconds=body.expires_in) if body.expires_in else None
    )
    refresh_expires_at = (
        now + timedelta(seconds=body.refresh_expires_in) if body.refresh_expires_in else None
    )
    with unit_of_work() as session:
        owner = visible_user(session, actor, body.user_id or actor.user_id or 0)
        register_token(
            session,
            actor,
            owner.id,
            body.platform_id,
            body.platform_user_id,
            body.access_token,
            refresh_token=body.refresh_token,
            expires_at=expires_at,
            refresh_expires_at=refresh_expires_at,
            scopes=body.scopes,
        )
    return Message(message="Token registered successfully")


@route(
    router,
    "GET",
    "/users/{user_id}/tokens/",
    operation_id="listTokens",
    summary="List a user's platform accounts (token metadata only)",
    response_model=TokenMetadataList,
    responses=problem_responses(401, 404),
)
def list_tokens(user_id: UserId, actor: CurrentActor) -> list[accounts.TokenMetadata]:
    with unit_of_work() as session:
        visible_user(session, actor, user_id, audit_action="tokens.read")
        return accounts.list_tokens(session, user_id)


@route(
    router,
    "DELETE",
    "/users/{user_id}/tokens/{account_id}",
    operation_id="revokeToken",
    summary="Revoke a platform account's token (the ciphertext is destroyed)",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 404),
)
def revoke(user_id: UserId, account_id: AccountId, actor: CurrentActor) -> Response:
    with unit_of_work() as session:
        visible_user(session, actor, user_id)
        accounts.revoke_token(session, actor, user_id, account_id)
    return Response(status_code=204)
