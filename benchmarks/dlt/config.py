"""What the dlt pipeline needs to know, without dlt: where its isolated environment lives, the
pin it is built from, and the ``rest_api`` source configuration for X accounts.

Standard library only: the benchmark (project venv) and the pipeline (dlt's venv) both import
this module, and the unit tests check it without dlt installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).with_name("requirements.txt")
ENV_DIR = ROOT / ".local" / "bench-dlt-env"
DLT_VERSION = "1.31.0"
PARENT = "accounts"  # the resource the per-account endpoints are resolved from


def env_python(env_dir: Path = ENV_DIR) -> Path:
    return env_dir / "bin" / "python"


def pinned_version(package: str, requirements: Path = REQUIREMENTS) -> str | None:
    """The ``==`` pin of ``package`` in a requirements file (None when it is not pinned)."""
    wanted = package.lower().replace("_", "-")
    for raw in requirements.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        name, sep, version = line.partition("==")
        if sep and name.split("[", 1)[0].strip().lower().replace("_", "-") == wanted:
            return version.strip()
    return None


def rest_api_config(
    base_url: str,
    user_params: dict[str, Any],
    timeline_params: dict[str, Any],
    *,
    parallelized: bool = True,
) -> dict[str, Any]:
    """The ``rest_api`` configuration for the X API v2 at ``base_url``: per account (from the
    ``accounts`` parent resource: ``id`` and ``token``), the user lookup and the account's
    posts, each with the account's own bearer token and the query parameters given.

    Posts page through ``meta.next_token`` sent back as ``pagination_token``, as X does; the
    lookup is one page. The parent resource itself is supplied by the pipeline (dlt objects)."""
    bearer = {"Authorization": f"Bearer {{resources.{PARENT}.token}}"}
    return {
        "client": {"base_url": base_url.rstrip("/") + "/"},
        "resource_defaults": {"parallelized": parallelized},
        "resources": [
            {
                "name": "users",
                "endpoint": {
                    "path": f"users/{{resources.{PARENT}.id}}",
                    "params": dict(user_params),
                    "headers": bearer,
                    "data_selector": "data",
                    "paginator": "single_page",
                },
            },
            {
                "name": "tweets",
                "endpoint": {
                    "path": f"users/{{resources.{PARENT}.id}}/tweets",
                    "params": dict(timeline_params),
                    "headers": bearer,
                    "data_selector": "data",
                    "paginator": {
                        "type": "cursor",
                        "cursor_path": "meta.next_token",
                        "cursor_param": "pagination_token",
                    },
                },
            },
        ],
    }
