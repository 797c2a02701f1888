"""The benchmark's handle on the dlt worker (``benchmarks.dlt.pipeline``) running in dlt's
isolated interpreter: started once, warm between jobs, one JSON line per job each way."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from benchmarks.dlt.config import ROOT
from benchmarks.harness import stop


class WorkerFailed(RuntimeError):
    """The worker died, or a job raised inside it (the message says which)."""


class Worker:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def _read(self) -> dict[str, Any]:
        stdout: IO[str] | None = self.process.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            raise WorkerFailed(f"dlt worker exited (status {self.process.poll()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise WorkerFailed(f"dlt pipeline failed: {answer['error']}")
        return answer

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one pipeline job; its answer (``seconds``, ``rows``)."""
        stdin = self.process.stdin
        if stdin is None:
            raise WorkerFailed("dlt worker has no stdin")
        stdin.write(json.dumps(job) + "\n")
        stdin.flush()
        return self._read()


@contextmanager
def worker(python: Path, log: Path) -> Iterator[Worker]:
    """The worker under ``python`` (cwd = the repository, so ``benchmarks.dlt`` imports),
    ready (dlt imported) when yielded; stopped by closing its stdin, killed if it lingers."""
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV"))
    }
    with log.open("w") as errors:
        process = subprocess.Popen(
            [str(python), "-m", "benchmarks.dlt.pipeline"],
            cwd=ROOT,
            env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        handle = Worker(process)
        try:
            handle._read()  # {"ready": true, ...}: dlt imported
            yield handle
        finally:
            if process.stdin is not None:
                process.stdin.close()
            stop(process, timeout=30)
            if process.stdout is not None:
                process.stdout.close()
