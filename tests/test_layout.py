"""The layout shows the pipeline: every module reachable by its dotted name, imports one way.

Stages, in the order data flows (ARCHITECTURE.md): a module may import its own stage and the
stages before it, never a later one, at run time (imports under `if TYPE_CHECKING:` are for type
hints only and are not counted). No two modules import each other, directly or in a circle.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import engine

ENGINE = Path(engine.__file__).parent

# Earlier stages first; a module belongs to the longest prefix listed.
STAGES: list[tuple[str, ...]] = [
    (
        "engine.errors",
        "engine.paths",
        "engine.files",
        "engine.names",
        "engine.numba_cache",
        "engine.calendar",
    ),
    ("engine.config",),
    ("engine.data",),
    ("engine.decisions",),
    ("engine.stats",),
    ("engine.simulate",),
    ("engine.inference",),
    ("engine.claim_checks", "engine.tuning"),
    ("engine.report",),
    ("engine.api",),
    ("engine.cli", "engine.__main__", "engine"),
]
MAX_TOP_LEVEL_MODULES = 10
LINE_LIMIT, HARD_LINE_LIMIT = 400, 450


def _stage(module: str) -> int:
    best, rank = -1, -1
    for i, prefixes in enumerate(STAGES):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    return rank


def _module_name(path: Path) -> str:
    rel = path.relative_to(ENGINE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(path: Path) -> set[str]:
    """Engine modules `path` imports, outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("engine"))
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and node.module.startswith("engine")
        ):
            for a in node.names:  # `from engine.x import y`: y may be a module
                sub = f"{node.module}.{a.name}"
                found.add(sub if _is_module(sub) else node.module)
    return found


def _is_module(name: str) -> bool:
    path = ENGINE.parent / Path(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


SOURCES = sorted(ENGINE.rglob("*.py"))


def test_every_module_is_importable_by_its_dotted_name() -> None:
    for info in pkgutil.walk_packages(engine.__path__, "engine."):
        module = importlib.import_module(info.name)
        parent, _, leaf = info.name.rpartition(".")
        # reachable as an attribute of its package: nothing hides a submodule
        assert getattr(importlib.import_module(parent), leaf) is module, info.name


def test_every_module_has_a_stage() -> None:
    assert [_module_name(p) for p in SOURCES if _stage(_module_name(p)) < 0] == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ENGINE.parent)))
def test_imports_run_one_way(path: Path) -> None:
    me = _module_name(path)
    later = sorted(m for m in _runtime_imports(path) if _stage(m) > _stage(me))
    assert later == [], f"{me} (stage {_stage(me)}) imports a later stage: {later}"


def test_no_import_circles() -> None:
    graph = {_module_name(p): _runtime_imports(p) for p in SOURCES}
    graph = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    # a package's __init__ importing its own submodules is how packages work, not a circle
    for m, deps in graph.items():
        graph[m] = {d for d in deps if not d.startswith(m + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                circle = [*stack[stack.index(dep) :], dep]
                raise AssertionError("import circle: " + " -> ".join(circle))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_few_modules_at_the_top_level() -> None:
    top = sorted(p.name for p in ENGINE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ENGINE.parent)))
def test_modules_stay_small(path: Path) -> None:
    """Past 400 lines a module says why in a comment `# long: ...`; none passes 450."""
    lines = path.read_text().splitlines()
    assert len(lines) <= HARD_LINE_LIMIT, f"{path.name}: {len(lines)} lines"
    if len(lines) > LINE_LIMIT:
        assert any(line.startswith("# long:") for line in lines), f"{path.name}: say why"
