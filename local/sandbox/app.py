"""The sandbox ASGI app: every platform's real paths under one prefix per host.

    /x/...                 api.x.com               x.py                (X API v2)
    /graph/...             graph.facebook.com      graph.py            (Facebook Pages,
                                                   instagram.py,        Instagram FB-login,
                                                   whatsapp.py          WhatsApp)
    /instagram/...         graph.instagram.com     instagram.py        (Instagram Login)
    /tiktok/...            open.tiktokapis.com     tiktok.py           (TikTok Display API v2)
    /tiktok-business/...   business-api.tiktok.com tiktok_business.py  (API for Business v1.3)
    /_sandbox/...          control API for tests   control.py

Auth: the bearer (or ``access_token`` parameter, or TikTok Business's ``Access-Token``
header) must belong to a registered account, and the object asked for must belong to that
account. Quotas: ``quota`` calls per ``window_seconds`` per account and endpoint group, with
each platform's headers and throttle answers (``core.py``). This module only composes.
"""

from __future__ import annotations

from starlette.applications import Starlette

from local.sandbox import control, graph, instagram, tiktok, tiktok_business, whatsapp, x
from local.sandbox.core import Core
from local.sandbox.state import SandboxState


def create_app(state: SandboxState | None = None) -> Starlette:
    core = Core(
        state or SandboxState(),
        {
            **x.DIALECTS,
            **graph.DIALECTS,
            **instagram.DIALECTS,
            **whatsapp.DIALECTS,
            **tiktok.DIALECTS,
            **tiktok_business.DIALECTS,
        },
    )
    meta = graph.Graph(
        core, [graph.Facebook(core), instagram.Instagram(core), whatsapp.WhatsApp(core)]
    )
    app = Starlette(
        routes=[
            *x.routes(core),
            *meta.routes(),
            *instagram.routes(core, meta),
            *tiktok.routes(core),
            *tiktok_business.routes(core),
            *control.routes(core.state),
        ]
    )
    app.state.sandbox = core
    return app
