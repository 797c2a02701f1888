"""Every `make` target, script and `python -m` module that the docs tell a reader to run exists."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").glob("*.md")])
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
_INLINE = re.compile(r"`([^`\n]+)`")
_MAKE = re.compile(r"(?:^|[\s;&|(])make\s+((?:[A-Z_]+=\S+\s+)*)([a-z][\w-]*)")
_SCRIPT = re.compile(r"(?<![\w/.])((?:scripts|benchmarks|\.ci)/[\w./-]+?\.(?:py|sh)|\.ci/run)\b")
_MODULE = re.compile(r"python3?\s+-m\s+([A-Za-z_][\w.]*)")


def _code(text: str) -> list[str]:
    """What a reader would type: fenced blocks and inline code spans."""
    blocks = _FENCE.findall(text)
    prose = _FENCE.sub("", text)
    return blocks + _INLINE.findall(prose)


def _named(pattern: re.Pattern[str], group: int = 1) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for doc in DOCS:
        for snippet in _code(doc.read_text(encoding="utf-8")):
            for match in pattern.finditer(snippet):
                found.setdefault(match.group(group), set()).add(doc.name)
    return found


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*)\s*:(?!=)", makefile, re.M))


def test_every_make_target_named_in_the_docs_exists() -> None:
    named = _named(_MAKE, group=2)
    assert {"run", "test", "invoke", "template", "similar"} <= set(named)  # the parser works
    missing = {target: docs for target, docs in named.items() if target not in _make_targets()}
    assert missing == {}


def test_every_script_named_in_the_docs_exists() -> None:
    named = _named(_SCRIPT)
    assert ".ci/run" in named
    missing = {path: docs for path, docs in named.items() if not (ROOT / path).is_file()}
    assert missing == {}


def test_every_python_module_the_docs_run_can_be_found() -> None:
    named = _named(_MODULE)
    assert "infra.package" in named
    missing = {
        module: docs
        for module, docs in named.items()
        if module not in ("venv", "pip") and importlib.util.find_spec(module) is None
    }
    assert missing == {}
