"""The public repository's own files: licence, CI workflow, pre-commit hooks, dependency updates."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _yaml(path: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
    return document


def _run_lines(job: dict[str, Any]) -> list[str]:
    return [str(step["run"]).strip() for step in job["steps"] if "run" in step]


def test_the_licence_is_the_apache_2_0_text_the_readme_and_pyproject_name() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert 'license = { text = "Apache-2.0" }' in (ROOT / "pyproject.toml").read_text()
    assert "Apache-2.0" in (ROOT / "README.md").read_text()


def test_the_ci_workflow_runs_ci_run_cfn_lint_and_the_cdk_synth() -> None:
    workflow = _yaml(".github/workflows/ci.yml")
    document: dict[Any, Any] = workflow
    triggers: dict[str, Any] = document.get("on") or document[True]  # YAML 1.1: bare `on` = True
    assert {"push", "pull_request"} <= set(triggers)
    (job,) = workflow["jobs"].values()
    runs = _run_lines(job)
    assert ".ci/run" in runs
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111  # executable, as the step calls it
    assert any(shlex.split(line)[:2] == [".venv/bin/cfn-lint", "template.yaml"] for line in runs)
    assert ".venv/bin/python infra/app.py" in runs  # the command cdk.json runs
    assert any("cdk.out/SocialMetrics.template.json" in line for line in runs)
    assert runs.index(".ci/run") < runs.index(".venv/bin/python infra/app.py")


def test_the_ci_workflow_caches_uv_keyed_on_the_lock_files() -> None:
    workflow = _yaml(".github/workflows/ci.yml")
    (job,) = workflow["jobs"].values()
    caches = [
        step for step in job["steps"] if str(step.get("uses", "")).startswith("actions/cache")
    ]
    assert len(caches) == 1
    assert caches[0]["with"]["path"] == "${{ env.UV_CACHE_DIR }}"
    assert "requirements/*.lock" in caches[0]["with"]["key"]
    assert "UV_CACHE_DIR" in workflow["env"]
    python = next(
        s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python")
    )
    assert python["with"]["python-version"] == "3.11"


def test_pre_commit_runs_ruff_and_mypy_from_the_project_venv() -> None:
    config = _yaml(".pre-commit-config.yaml")
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy"} <= set(hooks)
    assert hooks["mypy"]["entry"].startswith(".venv/bin/mypy ")
    makefile = (ROOT / "Makefile").read_text()
    mypy_targets = hooks["mypy"]["entry"].split()[1:]
    assert f"$(VENV)/bin/mypy {' '.join(mypy_targets)}" in makefile  # same scope as make


def test_dependabot_watches_the_python_packages_and_the_actions() -> None:
    config = _yaml(".github/dependabot.yml")
    assert config["version"] == 2
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(ecosystems) == {"pip", "github-actions"}
    assert ecosystems["pip"]["directory"] == "/"
