"""No Python module in the repository is longer than 500 lines (migrations excepted).

A module past the limit is split by concern (the SAM generator into ``infra/sam/``, the webhook
parsers per platform, ...). Alembic migrations are exempt: each is one generated revision that
is never edited after it ships. Virtual environments, ``node_modules`` and ``.local`` (build
output, local databases) hold no project code and are not walked.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 500
NOT_PROJECT_CODE = frozenset(
    {".git", ".venv", "node_modules", ".local", ".mypy_cache", ".ruff_cache", "cdk.out"}
)
EXEMPT = frozenset({"migrations"})


def project_modules(root: Path = ROOT) -> list[Path]:
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(
            name for name in subdirectories if name not in NOT_PROJECT_CODE | EXEMPT
        )
        found.extend(Path(directory, name) for name in sorted(files) if name.endswith(".py"))
    return found


def line_count(path: Path) -> int:
    with path.open(encoding="utf-8") as file:
        return sum(1 for _ in file)


def test_the_walk_finds_the_project_and_skips_what_is_not_its_code() -> None:
    modules = {path.relative_to(ROOT).as_posix() for path in project_modules()}
    assert "shared/socialmetrics/config.py" in modules
    assert "infra/definition.py" in modules
    assert not any(
        part in NOT_PROJECT_CODE | EXEMPT for module in modules for part in module.split("/")
    )


def test_no_module_is_longer_than_500_lines() -> None:
    offenders = sorted(
        (count, path.relative_to(ROOT).as_posix())
        for path in project_modules()
        if (count := line_count(path)) > MAX_LINES
    )
    assert not offenders, f"modules over {MAX_LINES} lines (split them by concern):\n" + "\n".join(
        f"  {path}: {count}" for count, path in reversed(offenders)
    )
