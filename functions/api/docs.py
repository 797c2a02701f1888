"""``/docs``: Swagger UI served by the API itself, so it works offline and under a strict CSP.

The script and styles come from the pinned ``swagger-ui-py`` package (its ``static/`` folder,
read as files: the package itself is never imported); the page and its initializer are ours.
Every response here carries a Content-Security-Policy that allows only the API's own origin,
so the page loads nothing from a CDN and runs no inline script.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Response

from socialmetrics.errors import NotFound

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
# The only files served (name → media type): nothing else of the package is reachable.
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
INITIALIZER = """\
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: new URL("openapi.json", document.baseURI).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayOperationId: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
"""
PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API docs</title>
<link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/initializer.js"></script>
</body>
</html>
"""
_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}
_ASSET_CACHE = "public, max-age=86400"


def assets_dir() -> Path:
    """``swagger_ui/static`` of the installed package, found without importing it."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed (a runtime dependency)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@cache
def _asset(name: str) -> bytes:
    return (assets_dir() / name).read_bytes()


def router(title: str) -> APIRouter:
    docs = APIRouter(include_in_schema=False)

    @docs.get("/docs")
    def page() -> Response:
        return Response(
            PAGE.format(title=title), media_type="text/html; charset=utf-8", headers=_HEADERS
        )

    @docs.get("/docs/assets/initializer.js")
    def initializer() -> Response:
        return Response(
            INITIALIZER,
            media_type="application/javascript; charset=utf-8",
            headers={**_HEADERS, "Cache-Control": _ASSET_CACHE},
        )

    @docs.get("/docs/assets/{name}")
    def asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise NotFound("No such documentation asset.")
        return Response(
            _asset(name),
            media_type=media_type,
            headers={**_HEADERS, "Cache-Control": _ASSET_CACHE},
        )

    return docs
