"""Bad configuration stops a cold start with a message that names the variable."""

from __future__ import annotations

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
