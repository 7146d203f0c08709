"""The import graph of `src`: no circle anywhere, imports inside functions included, and the
architecture contracts of `.importlinter` (run by `make lint` too)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def import_circles(imports: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The circles of an import graph (module -> the modules it imports): each strongly
    connected group of two or more modules, sorted (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    circles: list[list[str]] = []
    for start in imports:
        if start in index:
            continue
        work = [(start, iter(imports.get(start, ())))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(imports.get(target, ()))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        circles.append(sorted(group))
    return circles


def module_imports(package: str) -> dict[str, set[str]]:
    """Every module of `package` and the modules of `package` it imports, wherever the import
    statement is (module level, or inside a function, where a circle would hide)."""
    graph = grimp.build_graph(package, cache_dir=None)
    return {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}


def test_no_import_circle_in_src() -> None:
    assert import_circles(module_imports("src")) == []


def test_the_check_finds_a_circle_hidden_in_a_function(tmp_path: Path) -> None:
    package = tmp_path / "circled"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circled import b\n")
    (package / "b.py").write_text("def late():\n    from circled import c\n")
    (package / "c.py").write_text("import circled.a\n")
    (package / "d.py").write_text("from circled import a\n")
    sys.path.insert(0, str(tmp_path))
    try:
        circles = import_circles(module_imports("circled"))
    finally:
        sys.path.remove(str(tmp_path))
    assert circles == [["circled.a", "circled.b", "circled.c"]]


def test_the_architecture_contracts_hold() -> None:
    """`.importlinter`: jobs' three layers, services apart, no circle between siblings."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
