"""No import runs back up between the packages of ``shared/socialmetrics``.

The graph is read from the source with :mod:`ast`, so it holds every import statement wherever
it sits: at module level, inside functions (the lazy imports that keep cold starts short) and
inside ``if TYPE_CHECKING:`` blocks. A lazy or type-only import is still a dependency a reader
must follow, so none is excluded. What the walk cannot see is an import by string
(``importlib.import_module``); ``shared/socialmetrics`` has none, and the last test keeps it so.

Nodes are the first-level packages and modules (``socialmetrics.identity``,
``socialmetrics.config``); an edge ``a → b`` means some module under ``a`` imports something
under ``b``. The graph must be acyclic: each cycle found is printed with the import lines that
make it. The layers of docs/architecture.md ("Module map") must hold too: every package has a
row, and every import goes to a package of a lower layer.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "shared" / "socialmetrics"
PACKAGE = "socialmetrics"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
MAP_ROW = re.compile(r"^\| (\d+) \| `(\w+)` \|", re.MULTILINE)


@dataclass(frozen=True)
class Import:
    source: str  # first-level unit doing the import, e.g. "identity"
    target: str  # first-level unit imported, e.g. "compliance"
    where: str  # "shared/socialmetrics/identity/service.py:12"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(module: str) -> str | None:
    """``socialmetrics.identity.service`` → ``identity``; the package root and anything outside
    the package → None."""
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return None
    return parts[1]


def units() -> set[str]:
    """Every first-level package and module of ``socialmetrics``."""
    return {
        path.stem if path.is_file() else path.name
        for path in PACKAGE_DIR.iterdir()
        if (path.is_file() and path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").is_file())
    }


def documented_layers() -> dict[str, int]:
    """The module map of docs/architecture.md: package → layer."""
    section = ARCHITECTURE.read_text(encoding="utf-8").split("### Module map", 1)[1]
    return {name: int(layer) for layer, name in MAP_ROW.findall(section)}


def _is_unit(name: str) -> bool:
    return (PACKAGE_DIR / name).is_dir() or (PACKAGE_DIR / f"{name}.py").is_file()


def _imported_modules(path: Path, tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports (absolute name) with the line of the import."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == PACKAGE:
                # ``from socialmetrics import config``: each name is a first-level unit
                for alias in node.names:
                    if _is_unit(alias.name):
                        yield f"{PACKAGE}.{alias.name}", node.lineno
            else:
                yield target, node.lineno


def package_imports() -> list[Import]:
    found: list[Import] = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        source = _unit(_module_name(path))
        if source is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for target_module, line in _imported_modules(path, tree):
            target = _unit(target_module)
            if target is not None and target != source:
                where = f"{path.relative_to(ROOT)}:{line}"
                found.append(Import(source, target, where))
    return found


def graph(imports: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        edges.setdefault(imp.source, set()).add(imp.target)
        edges.setdefault(imp.target, set())
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One shortest cycle through each node that lies on a cycle (deduplicated by rotation)."""
    found: dict[frozenset[str], list[str]] = {}
    for start in sorted(edges):
        # breadth-first search from start's successors back to start: a shortest cycle
        parents: dict[str, str] = {}
        frontier = sorted(edges[start])
        for node in frontier:
            parents.setdefault(node, start)
        seen = set(frontier)
        while frontier and start not in seen:
            following: list[str] = []
            for node in frontier:
                for succ in sorted(edges[node]):
                    if succ not in seen:
                        seen.add(succ)
                        parents[succ] = node
                        following.append(succ)
            frontier = following
        if start not in seen:
            continue
        path = [start]
        node = parents[start]
        while node != start:
            path.append(node)
            node = parents[node]
        path.append(start)
        path.reverse()
        found.setdefault(frozenset(path), path)
    return list(found.values())


def describe(cycle: list[str], imports: list[Import]) -> str:
    lines = [" -> ".join(cycle)]
    for source, target in itertools.pairwise(cycle):
        wheres = sorted(
            imp.where for imp in imports if (imp.source, imp.target) == (source, target)
        )
        lines.append(f"  {source} -> {target}: {', '.join(wheres)}")
    return "\n".join(lines)


def test_the_walk_sees_the_imports_it_must() -> None:
    imports = package_imports()
    edges = graph(imports)
    # a module-level import, an import inside a function, and one under TYPE_CHECKING
    assert "db" in edges["accounts"]
    assert len(edges) > 10
    assert all(imp.where.startswith("shared/socialmetrics/") for imp in imports)


def test_cycles_are_found_and_printed() -> None:
    imports = [
        Import("a", "b", "a.py:1"),
        Import("b", "c", "b.py:2"),
        Import("c", "a", "c.py:3"),
        Import("c", "d", "c.py:4"),
    ]
    found = cycles(graph(imports))
    assert found == [["a", "b", "c", "a"]]
    assert describe(found[0], imports).splitlines() == [
        "a -> b -> c -> a",
        "  a -> b: a.py:1",
        "  b -> c: b.py:2",
        "  c -> a: c.py:3",
    ]
    assert cycles(graph(imports[1:])) == []


def test_packages_of_socialmetrics_import_each_other_without_cycles() -> None:
    imports = package_imports()
    found = cycles(graph(imports))
    assert not found, "import cycles between packages of socialmetrics:\n" + "\n".join(
        describe(cycle, imports) for cycle in found
    )


def test_no_module_imports_by_string() -> None:
    dynamic = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            or (isinstance(node.func, ast.Name) and node.func.id in ("__import__", "import_module"))
        )
    ]
    assert not dynamic, f"imports by string escape the import-graph test: {dynamic}"


def test_every_package_has_one_row_in_the_module_map() -> None:
    section = ARCHITECTURE.read_text(encoding="utf-8").split("### Module map", 1)[1]
    rows = [name for _, name in MAP_ROW.findall(section)]
    assert sorted(rows) == sorted(units()), "docs/architecture.md module map vs the packages"


def test_every_import_goes_down_the_module_map() -> None:
    layers = documented_layers()
    upward = sorted(
        f"{imp.source} (layer {layers.get(imp.source)}) -> {imp.target} "
        f"(layer {layers.get(imp.target)}): {imp.where}"
        for imp in package_imports()
        if layers.get(imp.source, -1) <= layers.get(imp.target, -1)
    )
    assert not upward, "imports not going down docs/architecture.md's module map:\n" + "\n".join(
        upward
    )
