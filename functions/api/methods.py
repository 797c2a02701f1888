"""405 Method Not Allowed with the full ``Allow`` list, answered before any authentication.

Starlette answers 405 only from the first route whose path matches, so a path served by
several routes (``GET`` and ``POST /platforms/``) advertised one method, and a literal path
shadowed by a parameterised one (``PUT /users/register-token/`` against
``/users/{user_id}``) reached the wrong route and answered 401 or 422. Here every route whose
path matches counts, and a literal path is answered only by the routes declared for it.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match


def allowed_methods(
    routes: Sequence[BaseRoute], scope: MutableMapping[str, Any]
) -> set[str] | None:
    """The methods the request's path accepts, or ``None`` when no API route serves it."""
    api_routes = [r for r in routes if isinstance(r, APIRoute)]
    path = scope["path"]
    candidates = [r for r in api_routes if "{" not in r.path_format and r.path == path]
    if not candidates:
        candidates = [r for r in api_routes if r.matches(scope)[0] != Match.NONE]
    if not candidates:
        return None
    return set().union(*(r.methods or set() for r in candidates))


def not_allowed(routes: Sequence[BaseRoute], scope: MutableMapping[str, Any]) -> str | None:
    """The ``Allow`` header value when the request's method is not allowed on its path."""
    allowed = allowed_methods(routes, scope)
    if allowed is None or scope["method"] in allowed:
        return None
    return ", ".join(sorted(allowed))
