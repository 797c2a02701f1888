"""The dashboard's static files, served by the local gateway at ``/dashboard/``.

On AWS the same files sit in S3 behind CloudFront (``infra.stack``), with ``config.json``
written at deploy time; here ``config.json`` points the dashboard at the gateway itself
(same origin) and every response carries the headers CloudFront's policy adds.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from starlette.responses import RedirectResponse, Response

from infra import definition

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / definition.DASHBOARD_BUILD_DIR
PREFIX = definition.DASHBOARD_LOCAL_PATH
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def handles(method: str, path: str) -> bool:
    return method in ("GET", "HEAD") and (path == PREFIX or path.startswith(PREFIX + "/"))


def _headers() -> dict[str, str]:
    return {
        **definition.DASHBOARD_HEADERS,
        "Content-Security-Policy": definition.dashboard_csp(""),
        "Cache-Control": "no-cache",
    }


def _not_found() -> Response:
    return Response(
        json.dumps({"message": "Not Found"}),
        status_code=404,
        media_type="application/json",
        headers=_headers(),
    )


def serve(path: str, dist: Path = DIST) -> Response:
    """The response for ``GET path`` (``path`` under ``/dashboard``)."""
    if path == PREFIX:
        return RedirectResponse(PREFIX + "/", status_code=308)
    name = path[len(PREFIX) + 1 :] or "index.html"
    if name == definition.DASHBOARD_CONFIG_FILE:
        return Response(
            json.dumps({"apiUrl": ""}), media_type="application/json", headers=_headers()
        )
    if not (dist / "index.html").is_file():
        return Response(
            "The dashboard is not built: run `make dashboard` (npm ci + build in dashboard/).\n",
            status_code=503,
            media_type="text/plain; charset=utf-8",
            headers=_headers(),
        )
    root = dist.resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return _not_found()
    media_type = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
    return Response(
        target.read_bytes(),
        media_type=media_type or "application/octet-stream",
        headers=_headers(),
    )
