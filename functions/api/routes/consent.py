"""LGPD consent: record (append-only) and read the history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from functions.api.deps import MAX_ID, CurrentActor, DbSession, problem_responses, route
from functions.api.schemas import ConsentIn, ConsentList, Message
from socialmetrics.compliance import consent
from socialmetrics.identity.service import visible_user

router = APIRouter(tags=["consent"])


@route(
    router,
    "POST",
    "/consent/",
    operation_id="recordConsent",
    summary="Record consent given or withdrawn (append-only history)",
    status_code=201,
    response_model=Message,
    responses={
        201: {"content": {"application/json": {"example": {"message": "Consent recorded"}}}},
        **problem_responses(401, 404, 413),
    },
)
def record(session: DbSession, body: ConsentIn, actor: CurrentActor) -> Message:
    visible_user(session, actor, body.user_id)
    consent.record_consent(
        session, body.user_id, body.consent_given, actor, body.purpose, body.policy_version
    )
    return Message(message="Consent recorded")


@route(
    router,
    "GET",
    "/consent/{user_id}",
    operation_id="listConsents",
    summary="A user's consent history, oldest first",
    response_model=ConsentList,
    responses=problem_responses(401, 404),
)
def history(
    session: DbSession, user_id: Annotated[int, Path(ge=1, le=MAX_ID)], actor: CurrentActor
) -> list[consent.ConsentEntry]:
    visible_user(session, actor, user_id, audit_action="consent.read")
    return consent.consent_history(session, user_id)
