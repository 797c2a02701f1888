"""Each platform's error envelopes, exactly as the reference documents them."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import JSONResponse, Response

GRAPH_CODES: dict[str, tuple[int, int, int | None, str]] = {
    # kind: (http status, code, subcode, message)
    "token_dead": (
        400,
        190,
        460,
        "Error validating access token: The session has been "
        "invalidated because the user changed their password.",
    ),
    "bad_token": (400, 190, None, "Invalid OAuth access token - Cannot parse access token"),
    "forbidden": (
        403,
        200,
        None,
        "(#200) Requires pages_read_engagement permission to manage the object",
    ),
    "server_error": (500, 1, None, "An unknown error has occurred."),
    "invalid_metric": (400, 100, None, "(#100) The value must be a valid insights metric"),
    "not_enough_viewers": (
        400,
        10,
        None,
        "(#10) Not enough viewers for the media to show insights",
    ),
    "not_found": (
        400,
        100,
        33,
        "Unsupported get request. Object with ID does not exist, "
        "cannot be loaded due to missing permissions, or does not support this "
        "operation.",
    ),
}


class Reply(Exception):
    """Stop handling and answer with ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__("reply")
        self.response = response


def trace() -> str:
    return secrets.token_urlsafe(8)


def graph_error(
    kind: str,
    message: str | None = None,
    code: int | None = None,
    status: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    default = GRAPH_CODES.get(kind, (400, code or 100, None, message or "Invalid parameter"))
    http, number, subcode, text = default
    body: dict[str, Any] = {
        "message": message or text,
        "type": "OAuthException",
        "code": code or number,
        "is_transient": (code or number) in (1, 2),
        "fbtrace_id": trace(),
    }
    if subcode is not None:
        body["error_subcode"] = subcode
    return JSONResponse({"error": body}, status_code=status or http, headers=headers)


def x_problem(
    status: int, kind: str, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    body = {
        "title": title,
        "detail": detail,
        "status": status,
        "type": "about:blank" if kind == "about:blank" else f"https://api.x.com/2/problems/{kind}",
    }
    return JSONResponse(body, status_code=status, headers=headers)


def tiktok_error(status: int, code: str, message: str) -> Response:
    return JSONResponse(
        {"data": {}, "error": {"code": code, "message": message, "log_id": trace()}},
        status_code=status,
    )


def tiktok_business(
    data: dict[str, Any], code: int = 0, message: str = "OK", status: int = 200
) -> Response:
    """The API for Business envelope ``{"code","message","request_id","data"}`` (0 = success).

    Errors come back as HTTP 200 with a non-zero ``code`` (40100 rate limited, 401xx token,
    40001 permission, 40002 parameter, 5xxxx server)."""
    return JSONResponse(
        {"code": code, "message": message, "request_id": trace(), "data": data},
        status_code=status,
    )


def oauth_error(error: str, description: str, status: int = 400, log_id: bool = False) -> Response:
    body = {"error": error, "error_description": description}
    if log_id:
        body["log_id"] = trace()
    return JSONResponse(body, status_code=status)


MALFORMED = b"<html><body>upstream hiccup</body>"
