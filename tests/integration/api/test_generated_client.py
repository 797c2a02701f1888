"""A client generated from the committed openapi.json by a standard generator
(openapi-python-client, a dev dependency) imports and works against the local stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import upsert_points
from socialmetrics.identity.service import create_user_with_key
from socialmetrics.points import MetricPoint
from tests.factories import make_account

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent

SCRIPT = """
import json, sys
from socialmetrics_client import AuthenticatedClient, Client
from socialmetrics_client.api.auth import login
from socialmetrics_client.api.metrics import list_metrics
from socialmetrics_client.models import LoginIn, MetricOut, TokenOut

base_url, api_key = sys.argv[1], sys.argv[2]
token = login.sync(client=Client(base_url=base_url), body=LoginIn(api_key=api_key))
assert isinstance(token, TokenOut), token
authed = AuthenticatedClient(base_url=base_url, token=token.access_token)
page = list_metrics.sync_detailed(client=authed, limit=2)
assert all(isinstance(row, MetricOut) for row in page.parsed), page
print(json.dumps({
    "status": int(page.status_code),
    "next_cursor": page.headers.get("x-next-cursor"),
    "rows": [row.to_dict() for row in page.parsed],
}))
"""


def generate(target: Path) -> Path:
    """``openapi-python-client generate`` on openapi.json into ``target/socialmetrics_client``."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # its ruff
    subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(ROOT / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(target / "socialmetrics_client"),
        ],
        cwd=target,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return target


def test_generated_client_logs_in_and_lists_metrics(stack_url: str, tmp_path: Path) -> None:
    with unit_of_work() as session:
        user_id, api_key = create_user_with_key(session, "Ana", "ana@example.com", "client")
    owner = make_account("Instagram", user_id)
    start = datetime(2025, 1, 1, 12, tzinfo=UTC)
    with unit_of_work() as session:
        upsert_points(
            session,
            owner,
            [MetricPoint("impressions", Decimal(d), start + timedelta(days=d)) for d in range(3)],
        )
    package_root = generate(tmp_path)
    assert (package_root / "socialmetrics_client" / "api" / "metrics" / "list_metrics.py").exists()

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, stack_url, api_key],
        cwd=package_root,
        env={**os.environ, "PYTHONPATH": str(package_root)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == 200
    assert [row["value"] for row in answer["rows"]] == [2, 1]  # newest first, a page of 2
    newest = datetime.fromisoformat(answer["rows"][0]["collected_at"])  # parsed as a datetime
    assert newest == start + timedelta(days=2)
    assert answer["rows"][0]["period"] == "snapshot"
    assert answer["next_cursor"]
