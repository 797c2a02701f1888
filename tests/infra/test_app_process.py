"""`python infra/app.py` (what cdk.json runs) synthesises as a process: no Docker, no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_cdk_app_synthesises_as_the_cli_would_run_it(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",  # any Docker use would fail
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_RELEASE": "1",
    }
    done = subprocess.run(
        [sys.executable, "infra/app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    template = json.loads((tmp_path / "cdk.out" / "SocialMetrics.template.json").read_text())
    kinds = {resource["Type"] for resource in template["Resources"].values()}
    assert {"AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::KMS::Key"} <= kinds
