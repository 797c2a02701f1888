"""Cold start: importing each kind of Lambda handler vs ``import fastapi``, whole process.

Each import is a fresh interpreter, timed from its start to its exit (what a new Lambda
container pays before its first event, interpreter start-up included), and the rounds
alternate between ``import fastapi`` (the baseline) and the three handlers so drift on a noisy
machine hits them all alike. As deployed:

- **only the runtime dependencies can be imported**: packages installed for development but
  absent from ``requirements/runtime.lock`` (the Lambda layer) are hidden from the child, so an
  optional import that finds one here (httpx's command line finds rich) fails as it does in
  Lambda;
- **bytecode is cached** in a throwaway ``PYTHONPYCACHEPREFIX`` warmed by an untimed round,
  so every timed import reads compiled modules, for the baseline as for the handlers.

No database or AWS endpoint is contacted: handlers create their clients on first use. The
child also reports which heavy libraries ended up loaded, so "receivers never import pydantic
or SQLAlchemy" is checked, not assumed.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from benchmarks.goals import Measured
from benchmarks.harness import DUMMY_AWS_CREDENTIALS, ROOT, Comparison, duration

BASELINE = "fastapi"
API = "functions.api.handler"
COLLECTOR = "functions.collector.handler"
RECEIVER = "functions.webhook_meta.handler"
GOAL_KEYS = {API: "import_api", COLLECTOR: "import_collector", RECEIVER: "import_webhook"}
WATCHED = (
    "fastapi",
    "mangum",
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "sqlalchemy.orm",
    "pg8000",
    "boto3",
    "httpx",
    "aws_xray_sdk",
)
_CHILD = """
import json, sys


class _NotInTheLayer:
    hidden = frozenset({hidden!r})

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.hidden:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not in the Lambda layer)")
        return None


sys.meta_path.insert(0, _NotInTheLayer())
import {module}
print(json.dumps([m for m in {watched!r} if m in sys.modules]))
"""


def _distribution(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def development_only_modules(lock: Path = ROOT / "requirements" / "runtime.lock") -> set[str]:
    """Top-level modules installed here only by distributions the Lambda layer does not have."""
    runtime = {
        _distribution(line.split("==", 1)[0])
        for line in lock.read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    runtime.add("socialmetrics")  # the project itself (staged into the layer)
    return {
        module
        for module, distributions in metadata.packages_distributions().items()
        if not module.startswith("_") and not {_distribution(d) for d in distributions} & runtime
    }


def import_once(module: str, hidden: set[str], pycache: str) -> tuple[float, list[str]]:
    """Seconds for a fresh interpreter to import ``module`` and exit, and the watched modules
    it loaded."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        **DUMMY_AWS_CREDENTIALS,
        "PYTHONPYCACHEPREFIX": pycache,
        "ENVIRONMENT": os.environ.get("ENVIRONMENT", "test"),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    }
    code = _CHILD.format(module=module, watched=WATCHED, hidden=sorted(hidden))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env=env,
    )
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"importing {module} failed: {done.stderr.strip()[-2000:]}")
    return elapsed, list(json.loads(done.stdout.strip().splitlines()[-1]))


def run(repeat: int = 5) -> Comparison:
    hidden = development_only_modules()
    modules = (BASELINE, API, COLLECTOR, RECEIVER)
    times: dict[str, list[float]] = {module: [] for module in modules}
    loaded: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as pycache:
        for module in modules:  # untimed: compile and cache the bytecode, warm the file cache
            import_once(module, hidden, pycache)
        for _ in range(repeat):
            for module in modules:
                seconds, loaded[module] = import_once(module, hidden, pycache)
                times[module].append(seconds)
    median = {module: statistics.median(samples) for module, samples in times.items()}
    base = median[BASELINE]
    goals = tuple(
        Measured(
            key,
            median[module] / base,
            f"{duration(median[module])} vs {duration(base)}; loads "
            f"{', '.join(loaded[module]) or 'none of the watched'}",
        )
        for module, key in GOAL_KEYS.items()
    )
    receiver_absent = [m for m in WATCHED if m not in loaded[RECEIVER]]
    return Comparison(
        name="cold import of a Lambda handler (whole process, as deployed)",
        baseline=f"import {BASELINE}",
        candidate=f"the API handler ({API})",
        baseline_seconds=base,
        candidate_seconds=median[API],
        runs=repeat,
        note=(
            f"collector {median[COLLECTOR] / base:.2f}x, receiver {median[RECEIVER] / base:.2f}x "
            f"of import {BASELINE}; the receiver never loads: {', '.join(receiver_absent)}"
        ),
        goals=goals,
    )
