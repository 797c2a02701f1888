"""Users (admin CRUD, self-service read/update), LGPD export and erasure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse

from functions.api.deps import (
    MAX_ID,
    AdminActor,
    CurrentActor,
    header_refs,
    problem_responses,
    route,
)
from functions.api.schemas import (
    UserCreatedOut,
    UserCreateIn,
    UserExportOut,
    UserOut,
    UserPatch,
    UserPut,
)
from socialmetrics.compliance.audit import Actor
from socialmetrics.db.engine import unit_of_work
from socialmetrics.identity import service as identity
from socialmetrics.identity.service import UserView
from socialmetrics.privacy.rights import erase_user, export_metrics, export_user
from socialmetrics.registration import register_token

router = APIRouter(tags=["users"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="The user's id")]


def _out(user: UserView) -> UserOut:
    return UserOut(
        user_id=user.user_id,
        name=user.name,
        email=user.email,
        role=user.role,  # type: ignore[arg-type]
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


@route(
    router,
    "POST",
    "/users/",
    operation_id="createUser",
    summary="Create a user (admin); returns its API key once",
    status_code=201,
    response_model=UserCreatedOut,
    response_model_exclude_none=True,
    responses=problem_responses(401, 403, 409, 413),
)
def create_user(body: UserCreateIn, actor: AdminActor) -> UserCreatedOut:
    warnings: list[str] = []
    with unit_of_work() as session:
        user, key = identity.create_user(session, body.name, body.email, body.role)
        if body.access_token is not None and body.platform_user_id and body.platform_id:
            register_token(
                session,
                actor,
                user.user_id,
                body.platform_id,
                body.platform_user_id,
                body.access_token,
                refresh_token=body.refresh_token,
            )
        elif body.access_token is not None:
            warnings.append(
                "access_token was not stored: platform_user_id and platform_id are both "
                "needed to register a token (see POST /users/register-token/)."
            )
    return UserCreatedOut(
        user_id=user.user_id,
        name=user.name,
        email=user.email,
        api_key=key.key.get_secret_value(),
        warnings=warnings or None,
    )


@route(
    router,
    "GET",
    "/users/",
    operation_id="listUsers",
    summary="List users (admin), by id; the next page's cursor is in X-Next-Cursor",
    response_model=list[UserOut],
    responses={200: {"headers": header_refs("X-Next-Cursor")}, **problem_responses(401, 403)},
)
def list_users(
    actor: AdminActor,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[int | None, Query(ge=0, le=MAX_ID, description="X-Next-Cursor")] = None,
) -> Response:
    with unit_of_work() as session:
        users = identity.list_users(session, actor, limit + 1, cursor)
    headers = {}
    if len(users) > limit:
        users = users[:limit]
        headers["X-Next-Cursor"] = str(users[-1].user_id)
    body = [_out(u).model_dump(mode="json") for u in users]
    return JSONResponse(body, headers=headers)


@route(
    router,
    "GET",
    "/users/{user_id}",
    operation_id="getUser",
    summary="Read a user (yourself, or anyone as admin)",
    response_model=UserOut,
    responses=problem_responses(401, 404),
)
def get_user(user_id: UserId, actor: CurrentActor) -> UserOut:
    with unit_of_work() as session:
        return _out(identity.get_user(session, actor, user_id))


def _update(actor: Actor, user_id: int, body: UserPut | UserPatch) -> UserOut:
    with unit_of_work() as session:
        return _out(
            identity.update_user(
                session, actor, user_id, name=body.name, email=body.email, role=body.role
            )
        )


@route(
    router,
    "PUT",
    "/users/{user_id}",
    operation_id="replaceUser",
    summary="Replace a user's name and email (role: admin only)",
    response_model=UserOut,
    responses=problem_responses(401, 403, 404, 409, 413),
)
def put_user(user_id: UserId, body: UserPut, actor: CurrentActor) -> UserOut:
    return _update(actor, user_id, body)


@route(
    router,
    "PATCH",
    "/users/{user_id}",
    operation_id="updateUser",
    summary="Change some of a user's fields (role: admin only)",
    response_model=UserOut,
    responses=problem_responses(401, 403, 404, 409, 413),
)
def patch_user(user_id: UserId, body: UserPatch, actor: CurrentActor) -> UserOut:
    return _update(actor, user_id, body)


@route(
    router,
    "DELETE",
    "/users/{user_id}",
    operation_id="eraseUser",
    summary="Erase a user (LGPD): tokens, metrics, keys and consents are deleted",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 404),
)
def delete_user(user_id: UserId, actor: CurrentActor) -> Response:
    with unit_of_work() as session:
        erase_user(session, actor, user_id)
    return Response(status_code=204)


def _export_stream(document: dict[str, object], user_id: int) -> Iterator[str]:
    head = json.dumps(document, ensure_ascii=False)
    yield head[:-1] + ', "metrics": ['
    for index, row in enumerate(export_metrics(user_id)):
        yield ("," if index else "") + json.dumps(row, ensure_ascii=False)
    yield "]}"


@route(
    router,
    "GET",
    "/users/{user_id}/export",
    operation_id="exportUser",
    summary="Export everything held about a user (LGPD access right); tokens as metadata only",
    response_model=UserExportOut,
    responses={
        200: {"description": "The user's data", "headers": header_refs("Content-Disposition")},
        **problem_responses(401, 404),
    },
)
def export(user_id: UserId, actor: CurrentActor) -> StreamingResponse:
    with unit_of_work() as session:
        document = export_user(session, actor, user_id)
    return StreamingResponse(
        _export_stream(document, user_id),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="user-{user_id}-export.json"'},
    )
