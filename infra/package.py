"""Build the two Lambda artefacts every function shares: one code asset and one layer.

* code asset (``.local/build/code``): a copy of ``functions/`` rooted so that the handler
  string ``functions.api.handler.handler`` imports the module ``functions.api.handler``.
* dependency layer (``.local/build/layer``): ``python/`` holding the pinned runtime set
  (``requirements/runtime.lock``, wheels for Linux arm64 / CPython 3.11) plus the
  ``socialmetrics`` package. Lambda puts ``/opt/python`` on ``sys.path``.

Infra-only tooling (aws-cdk-lib, cfn-lint) and the dev set are never in either artefact: the
layer is installed from the runtime lock alone.

``python -m infra.package`` builds both (the layer needs the package index); the CDK app and
``sam build`` read the directories. Without a built layer, :func:`layer_dir` stages a
placeholder holding only ``socialmetrics`` so that synth works offline; deploy the real one.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from infra import definition

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_LAYER_DIR = ".local/build/layer-placeholder"
PLACEHOLDER_DASHBOARD_DIR = ".local/build/dashboard-placeholder"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", "tests")


def _replace_tree(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=_IGNORED)


def stage_code(root: Path = ROOT, target: Path | None = None) -> Path:
    """Copy ``functions/`` into the code asset directory (default ``.local/build/code``)."""
    target = target or root / definition.CODE_BUILD_DIR
    target.mkdir(parents=True, exist_ok=True)
    _replace_tree(root / "functions", target / "functions")
    return target


def _stage_domain_package(layer: Path, root: Path) -> None:
    python = layer / "python"
    python.mkdir(parents=True, exist_ok=True)
    _replace_tree(root / "shared" / "socialmetrics", python / "socialmetrics")


def layer_is_built(root: Path = ROOT) -> bool:
    return (root / definition.LAYER_BUILD_DIR / "python" / "socialmetrics").is_dir()


def layer_dir(root: Path = ROOT, placeholder: Path | None = None) -> Path:
    """The layer directory to deploy: the built one, else an offline placeholder (domain
    package only, no third-party dependencies) created now so that synth never needs the
    network or Docker."""
    if layer_is_built(root):
        return root / definition.LAYER_BUILD_DIR
    placeholder = placeholder or root / PLACEHOLDER_LAYER_DIR
    _stage_domain_package(placeholder, root)
    return placeholder


def dashboard_is_built(root: Path = ROOT) -> bool:
    return (root / definition.DASHBOARD_BUILD_DIR / "index.html").is_file()


def dashboard_dir(root: Path = ROOT, placeholder: Path | None = None) -> Path:
    """The dashboard files to deploy: ``dashboard/dist`` when ``make dashboard`` built it, else
    a one-page placeholder (created now) so that synth works without Node's packages."""
    if dashboard_is_built(root):
        return root / definition.DASHBOARD_BUILD_DIR
    placeholder = placeholder or root / PLACEHOLDER_DASHBOARD_DIR
    placeholder.mkdir(parents=True, exist_ok=True)
    (placeholder / "index.html").write_text(
        "<!doctype html><title>dashboard not built</title><p>Run make dashboard, then deploy.\n",
        encoding="utf-8",
    )
    return placeholder


def pip_command(target: Path, root: Path = ROOT) -> list[str]:
    """The pip invocation that installs the runtime lock for Lambda (Linux arm64, CPython of
    ``definition.RUNTIME``: 3.12, while the lock is resolved on 3.11 for local development;
    every pinned wheel exists for both)."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--only-binary=:all:",
        "--platform=manylinux2014_aarch64",
        "--implementation=cp",
        f"--python-version={definition.RUNTIME.removeprefix('python')}",
        f"--target={target}",
        "-r",
        str(root / definition.LAYER_REQUIREMENTS),
    ]


def build_layer(root: Path = ROOT) -> Path:
    """Install the pinned runtime dependencies and the domain package into the layer."""
    layer = root / definition.LAYER_BUILD_DIR
    if layer.exists():
        shutil.rmtree(layer)
    python = layer / "python"
    python.mkdir(parents=True)
    subprocess.run(pip_command(python, root), check=True)  # noqa: S603 - fixed argv
    _stage_domain_package(layer, root)
    return layer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    parser.add_argument("--code-only", action="store_true", help="skip the layer (offline)")
    args = parser.parse_args(argv)
    print(f"code   {stage_code()}")
    if not args.code_only:
        print(f"layer  {build_layer()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
