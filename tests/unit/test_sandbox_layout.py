"""The sandbox is split the way the providers are: one module per platform on each side.

Adding a platform means one new client module in ``shared/socialmetrics/providers`` and one
new module in ``local/sandbox`` (see docs/adding_platforms.md); these tests fail until both
exist and the sandbox module is composed in ``app.py``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from local.sandbox.app import create_app
from local.sandbox.core import Core
from local.sandbox.state import PLATFORMS

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = ROOT / "shared" / "socialmetrics" / "providers"
SANDBOX = ROOT / "local" / "sandbox"

# provider module → its sandbox counterpart (Facebook's host is the Graph API, which also
# carries the Instagram and WhatsApp nodes).
COUNTERPART = {
    "x": "x",
    "facebook": "graph",
    "instagram": "instagram",
    "whatsapp": "whatsapp",
    "tiktok": "tiktok",
    "tiktok_business": "tiktok_business",
}
# the sandbox modules per platform (and per dialect: a host that answers in its own envelope)
SANDBOX_MODULES = {
    "X": "x",
    "Facebook": "graph",
    "Instagram": "instagram",
    "WhatsApp": "whatsapp",
    "TikTok": "tiktok",
    "TikTokBusiness": "tiktok_business",
}
# provider modules that are shared plumbing, not a platform
PROVIDER_PLUMBING = {
    "__init__",
    "auth",
    "base",
    "errors",
    "meta",
    "parts",
    "rate_limits",
    "runtime",
    "registry",
    "types",
    "windows",
}
SANDBOX_PLUMBING = {
    "__init__",
    "app",
    "control",
    "core",
    "responses",
    "server",
    "state",
    "webhooks",
}
APP_MAX_LINES = 80
MODULE_MAX_LINES = 500


def _modules(folder: Path) -> set[str]:
    return {path.stem for path in folder.glob("*.py")}


def test_every_provider_module_has_its_sandbox_counterpart() -> None:
    platforms = _modules(PROVIDERS) - PROVIDER_PLUMBING
    assert platforms == set(COUNTERPART), "map each new provider module to a sandbox module"
    missing = {p: s for p, s in COUNTERPART.items() if not (SANDBOX / f"{s}.py").is_file()}
    assert not missing


def test_every_sandbox_module_is_a_platform_or_the_common_core() -> None:
    assert _modules(SANDBOX) - SANDBOX_PLUMBING == set(SANDBOX_MODULES.values())


@pytest.mark.parametrize(("platform", "module"), sorted(SANDBOX_MODULES.items()))
def test_each_platform_module_brings_its_dialect_and_the_app_composes_it(
    platform: str, module: str
) -> None:
    loaded = importlib.import_module(f"local.sandbox.{module}")
    assert platform in loaded.DIALECTS
    core = create_app().state.sandbox
    assert isinstance(core, Core)
    assert core.dialects[platform] is loaded.DIALECTS[platform]


def test_every_registered_platform_has_a_dialect() -> None:
    core = create_app().state.sandbox
    assert set(PLATFORMS) <= set(core.dialects)


def test_app_only_composes() -> None:
    source = (SANDBOX / "app.py").read_text()
    assert len(source.splitlines()) <= APP_MAX_LINES
    assert "async def" not in source
    assert "Route(" not in source


@pytest.mark.parametrize("path", sorted(SANDBOX.glob("*.py")), ids=lambda p: p.name)
def test_no_sandbox_module_is_over_500_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MODULE_MAX_LINES
