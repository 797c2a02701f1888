"""dlt's isolated environment: built on first use under ``.local/bench-dlt-env`` with the
project's own uv from the pinned ``requirements.txt``, rebuilt when the pins change, and
never the project venv (dlt is no dependency of the project)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.dlt.config import ENV_DIR, REQUIREMENTS, env_python

STAMP_NAME = ".requirements.sha256"
INSTALL_TIMEOUT_SECONDS = 600


class EnvironmentUnavailable(Exception):
    """The environment could not be built (offline, PyPI unreachable, no uv)."""


def requirements_digest(requirements: Path = REQUIREMENTS) -> str:
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


def is_current(env_dir: Path = ENV_DIR, requirements: Path = REQUIREMENTS) -> bool:
    """The environment exists and was built from these exact pins."""
    stamp = env_dir / STAMP_NAME
    return (
        env_python(env_dir).exists()
        and stamp.exists()
        and stamp.read_text().strip() == requirements_digest(requirements)
    )


def _uv() -> str:
    beside = Path(sys.executable).with_name("uv")  # the project venv's pinned uv (make install)
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        raise EnvironmentUnavailable("uv not found (run make install)")
    return found


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as exc:
        raise EnvironmentUnavailable(f"{command[1]} timed out after {exc.timeout:.0f} s") from exc
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        reason = " / ".join(dict.fromkeys([lines[0], lines[-1]])) if lines else "no output"
        raise EnvironmentUnavailable(f"could not install the pinned dlt (offline?): {reason}")


def ensure(env_dir: Path = ENV_DIR, requirements: Path = REQUIREMENTS) -> Path:
    """The environment's interpreter, building the environment first when missing or stale."""
    if is_current(env_dir, requirements):
        return env_python(env_dir)
    uv = _uv()
    shutil.rmtree(env_dir, ignore_errors=True)
    _run([uv, "venv", "-q", "--python", sys.executable, str(env_dir)])
    _run(
        [uv, "pip", "install", "-q", "--python", str(env_python(env_dir)), "-r", str(requirements)]
    )
    (env_dir / STAMP_NAME).write_text(requirements_digest(requirements) + "\n")
    return env_python(env_dir)
