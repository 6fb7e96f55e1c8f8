"""The protocol peers no one here wrote (tests/peers/node_modules, installed by `make peers`):
real MCP servers, the MCP Inspector and the MCP conformance suite. Tests never fetch them;
one missing fails the test with how to install it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

PEERS = Path(__file__).resolve().parents[1] / "peers"
NODE_MODULES = PEERS / "node_modules"
BIN = NODE_MODULES / ".bin"
VENV_BIN = Path(sys.executable).parent


def peer_bin(name: str) -> Path:
    """An npm peer's executable (`mcp-server-everything`, `mcp-inspector`, ...)."""
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make peers` (scripts/setup_peers.sh)")
    return path


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not on PATH: the MCP peers need Node.js 20+; run `make peers`")
    return found


def inspector_cli(*args: str) -> list[str]:
    """The MCP Inspector in CLI mode: `inspector_cli(target..., "--method", "tools/list")`."""
    return [str(peer_bin("mcp-inspector")), "--cli", *args]


def conformance(*args: str) -> list[str]:
    """The MCP conformance suite's command line. On Node.js 20 its bundle needs a shim for
    `fs.globSync` (used only by its `tier-check`): see tests/peers/node20_fs_glob.mjs."""
    peer_bin("conformance")
    entry = NODE_MODULES / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    return [node(), "--import", str(PEERS / "node20_fs_glob.mjs"), str(entry), *args]


def python_peer(name: str) -> Path:
    """A PyPI peer installed in the venv (`mcp-server-time`)."""
    path = VENV_BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make setup` (it installs the dev dependencies)")
    return path
