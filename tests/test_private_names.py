"""No axo_tui module reaches into another module's private names (DESIGN.md §1).

A lower layer that needs something of a higher one declares a Protocol or a callable and the
higher one hands itself in; it never calls `runtime._activate`. Checked from the source: an
`obj._name` access or a `from m import _name` import is private access unless `_name` is
defined in the same module (its own class's attributes, or a module-level helper), or `obj`
is `self`: a subclass may use what its base class keeps for subclasses.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "axo_tui"


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def defined_names(tree: ast.AST) -> set[str]:
    """Private names a module defines: functions, classes, assigned names and attributes."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if is_private(name)}


def on_self(value: ast.expr) -> bool:
    """`self._x`, `cls._x`, `super()._x`: a class's own (or inherited) state, which a subclass
    may use; the rule is about reaching into other objects."""
    if isinstance(value, ast.Name):
        return value.id in ("self", "cls")
    return isinstance(value, ast.Call) and getattr(value.func, "id", None) == "super"


def foreign_private_uses(source: str, filename: str = "<test>") -> list[str]:
    """`line: what` for each private name the source uses on another object (or imports)
    but does not define."""
    tree = ast.parse(source, filename=filename)
    own = defined_names(tree)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and is_private(node.attr)
            and node.attr not in own
            and not on_self(node.value)
        ):
            found.append(f"{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.level or "axo_tui" in (node.module or "")):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if is_private(a.name)]
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    problems = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        uses = foreign_private_uses(path.read_text(encoding="utf-8"), str(path))
        problems += [f"{path.relative_to(PACKAGE_ROOT.parent)}:{use}" for use in uses]
    # typer offers no public hook for plain parameters; cli/plain_params.py documents why it
    # uses typer's own private attribute and how it degrades if that changes.
    problems = [p for p in problems if not p.startswith("axo_tui/cli/plain_params.py")]
    # wasmtime-py reflects a function's type on every call; core/wasm/fast_call.py calls the
    # checked exports through its FFI instead (wasmtime is pinned in requirements.lock).
    problems = [p for p in problems if not p.startswith("axo_tui/core/wasm/fast_call.py")]
    assert problems == []


def test_the_check_sees_calls_of_another_modules_private_methods() -> None:
    helper = "async def run(runtime):\n    await runtime._activate(1)\n    runtime.start()\n"
    assert foreign_private_uses(helper) == ["2: ._activate"]
    own = "class A:\n    def _x(self): ...\n    def y(self, other: 'A'): other._x()\n"
    assert foreign_private_uses(own) == []
    assert foreign_private_uses("from axo_tui.core.runtime.runtime import _unknown\n") == [
        "1: import _unknown"
    ]
