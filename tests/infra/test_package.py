"""One code asset (functions/) and one layer (runtime lock + socialmetrics); no infra deps."""

from __future__ import annotations

from pathlib import Path

from infra import definition, package
from tests.infra.conftest import ROOT


def _fake_repo(root: Path) -> None:
    (root / "functions" / "api" / "__pycache__").mkdir(parents=True)
    (root / "functions" / "api" / "handler.py").write_text("handler = print\n")
    (root / "functions" / "api" / "__pycache__" / "handler.pyc").write_bytes(b"x")
    (root / "shared" / "socialmetrics").mkdir(parents=True)
    (root / "shared" / "socialmetrics" / "__init__.py").write_text("")
    (root / "infra").mkdir()
    (root / "infra" / "app.py").write_text("")


def test_code_asset_holds_only_functions(tmp_path: Path) -> None:
    _fake_repo(tmp_path)
    code = package.stage_code(tmp_path)
    assert code == tmp_path / definition.CODE_BUILD_DIR
    assert sorted(p.name for p in code.iterdir()) == ["functions"]
    assert (code / "functions" / "api" / "handler.py").is_file()
    assert not (code / "functions" / "api" / "__pycache__").exists()


def test_placeholder_layer_carries_the_domain_package_under_python(tmp_path: Path) -> None:
    _fake_repo(tmp_path)
    assert not package.layer_is_built(tmp_path)
    layer = package.layer_dir(tmp_path)
    assert layer == tmp_path / package.PLACEHOLDER_LAYER_DIR
    assert (layer / "python" / "socialmetrics" / "__init__.py").is_file()


def test_built_layer_is_preferred(tmp_path: Path) -> None:
    built = tmp_path / definition.LAYER_BUILD_DIR / "python" / "socialmetrics"
    built.mkdir(parents=True)
    assert package.layer_is_built(tmp_path)
    assert package.layer_dir(tmp_path) == tmp_path / definition.LAYER_BUILD_DIR


def test_layer_installs_the_runtime_lock_for_arm64_lambda() -> None:
    command = package.pip_command(Path("/tmp/layer/python"))
    assert "--platform=manylinux2014_aarch64" in command
    assert "--python-version=3.12" in command  # the Lambda runtime, not this interpreter
    assert "--only-binary=:all:" in command
    assert command[-1] == str(ROOT / "requirements" / "runtime.lock")


def test_runtime_lock_excludes_infra_and_dev_tooling() -> None:
    pinned = {
        line.split("==")[0].strip().lower()
        for line in (ROOT / definition.LAYER_REQUIREMENTS).read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert {"fastapi", "mangum", "sqlalchemy", "pg8000", "boto3"} <= pinned
    for tool in ("aws-cdk-lib", "cfn-lint", "aws-sam-translator", "moto", "pytest", "uvicorn"):
        assert tool not in pinned
