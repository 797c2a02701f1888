"""The control API for tests under ``/_sandbox``: register accounts, add posts, inject
faults, tune quotas, read the state, and a stand-in webhook receiver (``/_sandbox/inbox``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.sandbox.state import Fault, SandboxState


class Control:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.inbox_log: list[dict[str, Any]] = []

    async def register(self, request: Request) -> Response:
        spec = await request.json()
        try:
            account = self.state.register(spec)
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return JSONResponse(account.summary(), status_code=201)

    async def posts(self, request: Request) -> Response:
        key = (request.path_params["platform"], request.path_params["id"])
        account = self.state.accounts.get(key)
        if account is None:
            return JSONResponse({"error": "unknown account"}, status_code=404)
        body = await request.json()
        fresh = self.state.add_posts(account, int(body.get("count", 1)))
        return JSONResponse({"posts": [p.id for p in fresh]}, status_code=201)

    async def faults(self, request: Request) -> Response:
        body = await request.json()
        if request.method == "DELETE" or body.get("clear"):
            self.state.faults.clear()
            return JSONResponse({"faults": []})
        fault = Fault(
            platform=str(body["platform"]),
            account=str(body["account"]),
            kind=str(body["kind"]),
            times=body.get("times"),
            path=body.get("path"),
            seconds=float(body.get("seconds", 5.0)),
            after=int(body.get("after", 0)),
        )
        self.state.faults.append(fault)
        return JSONResponse(vars(fault), status_code=201)

    async def config(self, request: Request) -> Response:
        body = await request.json()
        for key in ("quota", "window_seconds", "seed"):
            if key in body:
                setattr(self.state, key, int(body[key]))
        if body.get("reset_windows"):
            self.state.windows.clear()
        return JSONResponse(self.state.snapshot())

    async def inbox(self, request: Request) -> Response:
        """A stand-in webhook receiver: records raw deliveries (POST) and lists them (GET)."""
        if request.method == "POST":
            body = await request.body()
            self.inbox_log.append(
                {"headers": dict(request.headers), "body": body.decode("utf-8", "replace")}
            )
            return Response(status_code=200)
        return JSONResponse({"deliveries": self.inbox_log})

    async def snapshot(self, request: Request) -> Response:
        return JSONResponse(self.state.snapshot())


def routes(state: SandboxState) -> list[Route]:
    control = Control(state)
    return [
        Route("/_sandbox/accounts", control.register, methods=["POST"]),
        Route("/_sandbox/accounts/{platform}/{id}/posts", control.posts, methods=["POST"]),
        Route("/_sandbox/faults", control.faults, methods=["POST", "DELETE"]),
        Route("/_sandbox/config", control.config, methods=["POST"]),
        Route("/_sandbox/state", control.snapshot, methods=["GET"]),
        Route("/_sandbox/inbox", control.inbox, methods=["GET", "POST"]),
    ]
