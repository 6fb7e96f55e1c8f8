"""The layer rules of DESIGN.md §1, checked in fresh interpreters.

- `axo_tui.core` and every module under it import no UI library (textual, typer, rich).
- The quick commands (`axo --help`, `axo --version`, `axo validate`) import none of the heavy
  dependencies (textual, chromadb, httpx, wasmtime, llama_cpp, the serving stack): they would
  cost start-up time and, for some, can fail to load on some machines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UI_LIBRARIES = ("textual", "typer", "rich")
HEAVY_LIBRARIES = (
    "textual",
    "chromadb",
    "httpx",
    "wasmtime",
    "llama_cpp",
    # The serving stack: imported only by the commands that serve.
    "fastapi",
    "starlette",
    "uvicorn",
    "websockets",
    "mcp",  # the MCP SDK: ~0.5 s to import, loaded only by what speaks MCP
    "a2a",  # the A2A SDK (protobuf types): loaded only by remote agents and served cards
    "prometheus_client",  # metrics: loaded by `/metrics` and `axo metrics` only
    "opentelemetry",  # traces: loaded only when a tracer is built
)

# Imports axo_tui.core, every module pkgutil's walk finds under it, then any module named by
# a .py file that the walk cannot see (a directory without __init__.py is still importable as
# a namespace package). Prints what it imported and everything loaded, as JSON. An import
# error anywhere fails the run: no module is skipped.
#
# httpx's package __init__ imports its optional command-line tool (`httpx._main`), which
# pulls in rich and click whenever they happen to be installed, as they are here because of
# axo's own CLI. That is httpx's doing, not a dependency of core, so the check hides that
# one module (httpx then falls back to a stub `main`, as it does when rich is absent) and
# any rich, typer or textual still loaded comes from axo's code.
IMPORT_ALL_OF_CORE = """
import importlib, json, pathlib, pkgutil, sys
sys.modules["httpx._main"] = None
import axo_tui.core

def fail(name):
    raise SystemExit(f"cannot import {name}: {sys.exc_info()[1]!r}")

imported = ["axo_tui.core"]
for info in pkgutil.walk_packages(axo_tui.core.__path__, "axo_tui.core.", onerror=fail):
    importlib.import_module(info.name)
    imported.append(info.name)
root = pathlib.Path(axo_tui.core.__file__).parent
for path in sorted(root.rglob("*.py")):
    parts = ("axo_tui", "core", *path.relative_to(root).with_suffix("").parts)
    name = ".".join(parts).removesuffix(".__init__")
    if name not in imported:
        importlib.import_module(name)
        imported.append(name)
print(json.dumps({"imported": imported, "loaded": sorted(sys.modules)}))
"""

# Runs the `axo` entry point in-process with the given argv and writes the loaded module
# names to the file named by AXO_LAYER_REPORT (stdout belongs to the command).
RUN_CLI = """
import json, os, sys
sys.argv = ["axo", *json.loads(os.environ["AXO_LAYER_ARGV"])]
from axo_tui.cli.main import run
code = 0
try:
    run()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
with open(os.environ["AXO_LAYER_REPORT"], "w") as report:
    json.dump({"code": code, "loaded": sorted(sys.modules)}, report)
"""


def loaded_from(modules: list[str], libraries: tuple[str, ...]) -> list[str]:
    """The modules in `modules` that belong to any of `libraries`."""
    return sorted(m for m in modules if m.split(".")[0] in libraries)


def python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_core_imports_no_ui_library() -> None:
    result = python(IMPORT_ALL_OF_CORE)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "axo_tui.core.config.loader" in report["imported"]
    assert loaded_from(report["loaded"], UI_LIBRARIES) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["validate", "examples/hello/axo.yaml"],
        ["validate", "--help"],
        ["mcp", "serve", "--help"],
        ["init", "--list-templates"],
    ],
    ids=" ".join,
)
def test_quick_commands_import_no_heavy_library(argv: list[str], tmp_path: Path) -> None:
    report_path = tmp_path / "modules.json"
    result = python(RUN_CLI, AXO_LAYER_ARGV=json.dumps(argv), AXO_LAYER_REPORT=str(report_path))
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["code"] == 0, result.stdout + result.stderr
    assert loaded_from(report["loaded"], HEAVY_LIBRARIES) == []
