"""Cold start of the API function: bad configuration stops it with a message that names the
variable; a good one builds the app and nothing else (the first request makes the clients)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "not a database url"),
        ("DATABASE_URL", "mysql://root@localhost/metrics"),
        ("JWT_TTL_SECONDS", "86400"),
    ],
)
def test_api_cold_start_refuses_bad_configuration(variable: str, value: str) -> None:
    env = {**os.environ, variable: value}
    done = subprocess.run(
        [sys.executable, "-c", "import functions.api.handler"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "ConfigurationError" in done.stderr
    assert variable in done.stderr.splitlines()[-1]


_FIRST_REQUEST = """
import json
import functions.api.handler as api
from socialmetrics import aws
from socialmetrics.db.engine import get_engine
from tests.integration.api.gateway import make_event
from tests.support import FakeLambdaContext

at_import = {"engine": get_engine.cache_info().currsize, "clients": sorted(aws._clients)}
ready = api.handler(make_event("GET", "/health/ready"), FakeLambdaContext())
after = {"engine": get_engine.cache_info().currsize, "clients": sorted(aws._clients)}
print(json.dumps({"import": at_import, "status": ready["statusCode"], "request": after}))
"""


def test_api_import_creates_no_engine_or_client_and_the_first_request_does(
    db: str, aws_resources: object
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_REQUEST],
        cwd=ROOT,
        env={**os.environ, "TOKEN_KEY_PROVIDER": "kms"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["import"] == {"engine": 0, "clients": []}
    assert report["status"] == 200
    assert report["request"] == {"engine": 1, "clients": ["kms"]}
