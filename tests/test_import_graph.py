"""axo_tui's module import graph has no cycle, counting every import in the source.

import-linter checks the layer order of packages; this test checks the finer rule between
modules: no module may reach itself through imports, whether those imports run at load time,
inside a function, or only for the type checker (`if TYPE_CHECKING:`). A cycle hidden behind
a lazy or type-only import is still a knot that makes a module impossible to understand or
test on its own (DESIGN.md §1).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "axo_tui"
PACKAGE = "axo_tui"


def module_names(root: Path = PACKAGE_ROOT) -> dict[str, Path]:
    """Every module under `root`, by dotted name (a package is named by its __init__)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = (PACKAGE, *path.relative_to(root).with_suffix("").parts)
        name = ".".join(parts).removesuffix(".__init__")
        names[name] = path
    return names


def imported_modules(module: str, path: Path, modules: set[str]) -> set[str]:
    """The modules of `modules` that `module` imports anywhere in its source.

    `from x import y` imports the module x.y when there is one, else the name y from x.
    Parent packages are left out: importing a.b.c runs a/__init__ and a/b/__init__ first,
    but counting that would make every package that imports its own submodules a cycle. An
    explicit import of a package (its __init__) counts like any module.
    """
    is_package = path.name == "__init__.py"
    package_parts = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package_parts[: len(package_parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return (found & modules) - {module}


def import_graph(root: Path = PACKAGE_ROOT) -> dict[str, set[str]]:
    """Module -> the axo_tui modules it imports."""
    modules = module_names(root)
    return {name: imported_modules(name, path, set(modules)) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in `graph` as [a, b, ..., a], or None when the graph is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_import_graph_of_axo_tui_has_no_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 100, "the walk found too few modules: is PACKAGE_ROOT right?"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_sees_type_checking_and_function_level_imports(tmp_path: Path) -> None:
    # The check is only as good as its parser: a cycle closed by a TYPE_CHECKING import or an
    # import inside a function must be found.
    root = tmp_path / PACKAGE
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .sub.b import B\n"
    )
    (root / "sub" / "b.py").write_text("def f():\n    from ..c import C\n")
    (root / "c.py").write_text("import axo_tui.a\n")
    graph = import_graph(root)
    assert find_cycle(graph) == ["axo_tui.a", "axo_tui.sub.b", "axo_tui.c", "axo_tui.a"]
    assert find_cycle({"x": {"y"}, "y": set()}) is None
