"""The platform catalogue. Anyone signed in reads it; admins change it. ``api_key`` is
stored encrypted and never returned (only ``has_api_key``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from functions.api.deps import (
    MAX_PLATFORM_ID,
    AdminActor,
    CurrentActor,
    DbSession,
    problem_responses,
    route,
)
from functions.api.schemas import PlatformIn, PlatformOut, PlatformUpdate
from socialmetrics.accounts import platforms

router = APIRouter(tags=["platforms"])
PlatformId = Annotated[int, Path(ge=1, le=MAX_PLATFORM_ID)]


def _out(view: platforms.PlatformView) -> PlatformOut:
    return PlatformOut.model_validate(view, from_attributes=True)


@route(
    router,
    "GET",
    "/platforms/",
    operation_id="listPlatforms",
    summary="List platforms",
    response_model=list[PlatformOut],
    responses=problem_responses(401),
)
def list_platforms(session: DbSession, _: CurrentActor) -> list[PlatformOut]:
    return [_out(p) for p in platforms.list_platforms(session)]


@route(
    router,
    "POST",
    "/platforms/",
    operation_id="createPlatform",
    summary="Add a platform (admin)",
    status_code=201,
    response_model=PlatformOut,
    responses=problem_responses(401, 403, 409, 413),
)
def create_platform(session: DbSession, body: PlatformIn, actor: AdminActor) -> PlatformOut:
    return _out(platforms.create_platform(session, actor, body.name, body.family, body.api_key))


@route(
    router,
    "PUT",
    "/platforms/{platform_id}",
    operation_id="updatePlatform",
    summary="Change a platform's name, family or api_key (admin)",
    response_model=PlatformOut,
    responses=problem_responses(401, 403, 404, 409, 413),
)
def update_platform(
    session: DbSession, platform_id: PlatformId, body: PlatformUpdate, actor: AdminActor
) -> PlatformOut:
    return _out(
        platforms.update_platform(
            session,
            actor,
            platform_id,
            name=body.name,
            family=body.family,
            api_key=body.api_key,
            clear_api_key=body.clear_api_key,
        )
    )


@route(
    router,
    "DELETE",
    "/platforms/{platform_id}",
    operation_id="deletePlatform",
    summary="Delete a platform without accounts or metrics (admin)",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_platform(session: DbSession, platform_id: PlatformId, actor: AdminActor) -> Response:
    platforms.delete_platform(session, actor, platform_id)
    return Response(status_code=204)
