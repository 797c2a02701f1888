"""``POST /auth/login``: exchange an API key for a short-lived JWT (throttled on failures)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from functions.api.deps import client_ip, problem_responses, route
from functions.api.schemas import LoginIn, TokenOut
from socialmetrics.db.engine import unit_of_work
from socialmetrics.errors import Unauthorized
from socialmetrics.identity.service import InvalidCredentials, login, record_failed_login

router = APIRouter(tags=["auth"])


@route(
    router,
    "POST",
    "/auth/login",
    operation_id="login",
    summary="Log in with an API key; returns a bearer JWT (at most 15 minutes)",
    response_model=TokenOut,
    responses=problem_responses(401, 413, 429),
)
def login_route(body: LoginIn, request: Request) -> TokenOut:
    source_ip = client_ip(request)
    try:
        with unit_of_work() as session:
            issued = login(session, body.api_key.get_secret_value(), source_ip)
    except InvalidCredentials as failed:
        with unit_of_work() as session:
            record_failed_login(session, failed.buckets)
        raise Unauthorized("The API key is not valid.") from None
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)
