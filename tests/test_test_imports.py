"""No test module imports another test module, nor a conftest.

Importing `tests.x.test_y` makes pytest collect test_y's tests a second time under the
importer's name, ties one test file's helpers to another's tests, and breaks when that
file is renamed or removed. Shared helpers live in tests/support/; fixtures stay in a
conftest.py, which pytest loads itself and a test uses by name, never by import.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS_ROOT = Path(__file__).resolve().parent


def is_test_module(dotted: str) -> bool:
    """A `tests.` module whose last part is a test module or a conftest."""
    parts = dotted.split(".")
    return parts[0] == "tests" and (parts[-1].startswith("test_") or parts[-1] == "conftest")


def imported_names(tree: ast.AST, package: list[str]) -> list[tuple[int, str]]:
    """(line, dotted name) for every import in the tree, relative ones resolved against
    `package`; `from a import b` yields a.b, since b may be a module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package[: len(package) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def imports_of_test_modules(source: str, module: str, filename: str = "<test>") -> list[str]:
    """`line: name` for each test module or conftest the source of `module` imports."""
    package = module.split(".")[:-1]
    tree = ast.parse(source, filename=filename)
    hits = {(line, name) for line, name in imported_names(tree, package) if is_test_module(name)}
    return [f"{line}: {name}" for line, name in sorted(hits)]


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    problems = []
    for path in sorted(TESTS_ROOT.rglob("*.py")):
        relative = path.relative_to(TESTS_ROOT.parent)
        if "node_modules" in relative.parts:
            continue
        module = ".".join(relative.with_suffix("").parts)
        source = path.read_text(encoding="utf-8")
        problems += [
            f"{relative}:{hit}" for hit in imports_of_test_modules(source, module, str(path))
        ]
    assert problems == [], "move shared helpers to tests/support/:\n" + "\n".join(problems)


def test_the_check_sees_every_form_of_import() -> None:
    here = "tests.serve.test_here"
    source = (
        "from tests.serve.test_daemon import axo_serve\n"
        "import tests.cli.test_approvals_cmd\n"
        "from tests.core.wasm import conftest\n"
        "from .test_cli_remote import (\n    axo,\n)\n"
        "from ..support.live_server import serving\n"
        "def later():\n    from tests.core.wasm.conftest import Probe\n"
    )
    assert imports_of_test_modules(source, here) == [
        "1: tests.serve.test_daemon",
        "2: tests.cli.test_approvals_cmd",
        "3: tests.core.wasm.conftest",
        "4: tests.serve.test_cli_remote",
        "9: tests.core.wasm.conftest",
    ]


def test_the_check_lets_support_modules_and_outside_tests_through() -> None:
    source = (
        "from tests.support.served_project import project\n"
        "from tests.core.tools.mcp_setup import server\n"
        "import pytest\n"
        "from axo_tui.core import testing\n"
    )
    assert imports_of_test_modules(source, "tests.serve.test_here") == []
