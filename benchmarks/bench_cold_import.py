"""Cold start: importing a webhook receiver's handler vs importing the API's handler.

Each import runs in a fresh interpreter (what a new Lambda container pays before its first
event), alternating between the two so drift on a noisy machine hits both alike. The API
handler builds the FastAPI app, the engine (which connects lazily) and the KMS client at
import, exactly as in Lambda; no database or AWS endpoint is contacted. The child also reports
which heavy libraries ended up loaded, so the claim "receivers never import FastAPI or the
SQLAlchemy ORM" is checked, not assumed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from benchmarks.harness import DUMMY_AWS_CREDENTIALS, ROOT, Comparison

RECEIVER = "functions.webhook_meta.handler"
API = "functions.api.handler"
WATCHED = ("fastapi", "starlette", "mangum", "sqlalchemy", "sqlalchemy.orm", "boto3")
_CHILD = """
import json, sys, time
started = time.perf_counter()
import {module}
elapsed = time.perf_counter() - started
print(json.dumps({{"seconds": elapsed, "loaded": [m for m in {watched!r} if m in sys.modules]}}))
"""


def import_once(module: str) -> tuple[float, list[str]]:
    """Seconds to import ``module`` in a fresh interpreter, and the watched modules it loaded."""
    env = {
        **os.environ,
        **DUMMY_AWS_CREDENTIALS,
        "ENVIRONMENT": os.environ.get("ENVIRONMENT", "test"),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    }
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(module=module, watched=WATCHED)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env=env,
    )
    if done.returncode:
        raise RuntimeError(f"importing {module} failed: {done.stderr.strip()[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return float(report["seconds"]), list(report["loaded"])


def run(repeat: int = 5) -> Comparison:
    import_once(RECEIVER)  # untimed: warm the OS file cache and the bytecode cache
    import_once(API)
    receiver_times: list[float] = []
    api_times: list[float] = []
    receiver_loaded: list[str] = []
    for _ in range(repeat):
        seconds, receiver_loaded = import_once(RECEIVER)
        receiver_times.append(seconds)
        seconds, _ = import_once(API)
        api_times.append(seconds)
    absent = [m for m in WATCHED if m not in receiver_loaded]
    return Comparison(
        name="cold import of a Lambda handler (fresh interpreter)",
        baseline=f"the API handler ({API})",
        candidate=f"a webhook receiver ({RECEIVER})",
        baseline_seconds=statistics.median(api_times),
        candidate_seconds=statistics.median(receiver_times),
        runs=repeat,
        note=(
            f"receiver never loads: {', '.join(absent) or 'none'}; "
            f"it does load: {', '.join(receiver_loaded) or 'none'}"
        ),
    )
