"""WASM guests in real languages, built from source by the toolchains `make peers` installs.

`examples/wasm-pingpong/build.sh` (the script `make examples` runs) compiles ping and pong in
C (clang, lld, wasi-libc), AssemblyScript (npm) and Python (componentize-py). Each agent is
built once per test session, into the session's temporary folder, the first time a test asks
for it; a missing toolchain fails the test with how to install it.
"""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PINGPONG = ROOT / "examples" / "wasm-pingpong"
TEMPLATE_AGENTS = ROOT / "templates" / "wasm" / "agents"
LANGUAGES = ("c", "assemblyscript", "python")

_built: dict[tuple[str, str], Path] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class GuestBuilds:
    """Where a session's guests go; `agent(language, name)` builds one on first use."""

    out: Path

    def tool(self, name: str) -> Path:
        """tests/support/wasm_tools/`name`.c built as a WASI command."""
        return build_c_tool(self.out, TOOLS / f"{name}.c")

    def agent(self, language: str, name: str) -> Path:
        """The built `name`.wasm (ping or pong) of `language`."""
        return build_agent(self.out, language, name)

    def python(self, name: str) -> Path:
        """tests/support/wasm_python/`name`.py built as a component with componentize-py."""
        return build_python_component(self.out, PYTHON_GUESTS, name)


def agent_module(builds: GuestBuilds, language: str, name: str) -> bytes:
    """ping or pong in `language`: built from source, or the WAT template as it is."""
    if language == "wat":  # the host compiles WebAssembly text itself
        return (TEMPLATE_AGENTS / f"{name}.wat").read_bytes()
    return builds.agent(language, name).read_bytes()


def build_agent(out: Path, language: str, name: str) -> Path:
    if language not in LANGUAGES or name not in ("ping", "pong"):
        raise ValueError(f"no {name!r} in {language!r}: ping or pong in {', '.join(LANGUAGES)}")
    with _lock:
        if (language, name) not in _built:
            result = subprocess.run(
                [str(PINGPONG / "build.sh"), str(out), language],
                env={**os.environ, "AGENTS": name},
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if result.returncode != 0:
                pytest.fail(
                    f"building the {language} {name} failed (toolchains missing? run "
                    f"`make peers`):\n{result.stdout}{result.stderr}"
                )
            _built[language, name] = out / language / f"{name}.wasm"
        return _built[language, name]


def build_c_tool(out: Path, source: Path) -> Path:
    """A WASI command (a WASM tool) compiled from C `source` with clang, once per session."""
    key = ("c-tool", source.stem)
    with _lock:
        if key not in _built:
            target = out / "tools" / f"{source.stem}.wasm"
            target.parent.mkdir(parents=True, exist_ok=True)
            command = ["clang", "--target=wasm32-wasi", "-O2", "-o", str(target), str(source)]
            try:
                result = subprocess.run(command, capture_output=True, text=True, check=False)
            except FileNotFoundError:
                pytest.fail("clang is missing: run `make peers` (scripts/setup_peers.sh)")
            if result.returncode != 0:
                pytest.fail(f"building {source.name} failed (run `make peers`?):\n{result.stderr}")
            _built[key] = target
        return _built[key]


TOOLS = Path(__file__).resolve().parent / "wasm_tools"
PYTHON_GUESTS = Path(__file__).resolve().parent / "wasm_python"


def build_python_component(out: Path, source: Path, name: str) -> Path:
    """`source`/`name`.py as a component of the world `agent` (docs/wit/axo.wit), once."""
    key = ("python-component", name)
    with _lock:
        if key not in _built:
            target = out / "python-components" / f"{name}.wasm"
            target.parent.mkdir(parents=True, exist_ok=True)
            componentize = ROOT / ".venv" / "bin" / "componentize-py"
            command = [
                str(componentize),
                *("-d", str(ROOT / "docs" / "wit" / "axo.wit"), "-w", "agent"),
                *("componentize", "-p", str(source), name, "-o", str(target)),
            ]
            # From an empty folder: componentize-py also bundles what it finds in the current one.
            result = subprocess.run(
                command, cwd=target.parent, capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                pytest.fail(
                    f"componentize-py failed on {name}.py (run `make setup`?):\n"
                    f"{result.stdout}{result.stderr}"
                )
            _built[key] = target
        return _built[key]


_session: list[GuestBuilds] = []


def session_builds(factory: pytest.TempPathFactory) -> GuestBuilds:
    """The session's one GuestBuilds: a test module's fixture returns it
    (`return session_builds(tmp_path_factory)`)."""
    with _lock:
        if not _session:
            _session.append(GuestBuilds(factory.mktemp("wasm-guests")))
        return _session[0]
