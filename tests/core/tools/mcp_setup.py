"""Configs of real MCP servers for the client's tests (peers from tests/peers and the venv)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from axo_tui.core.config.schema import (
    ApprovalMode,
    ApprovalSettings,
    McpServerConfig,
    McpTransport,
)
from tests.support.peers import peer_bin, python_peer

NO_APPROVALS = ApprovalSettings(tools=(("mcp__*", ApprovalMode.NEVER),))
REPO = Path(__file__).resolve().parents[3]


def everything(name: str = "everything") -> McpServerConfig:
    return McpServerConfig(id=name, command=str(peer_bin("mcp-server-everything")), args=("stdio",))


def filesystem(root: Path, name: str = "files") -> McpServerConfig:
    return McpServerConfig(
        id=name, command=str(peer_bin("mcp-server-filesystem")), args=(str(root),)
    )


def time_server(name: str = "time") -> McpServerConfig:
    return McpServerConfig(id=name, command=str(python_peer("mcp-server-time")))


def bad(mode: str, name: str | None = None, **fields: float) -> McpServerConfig:
    script = REPO / "tests" / "support" / "bad_mcp_server.py"
    return McpServerConfig(
        id=name or mode, command=sys.executable, args=(str(script), mode), **fields
    )


FIXTURE = REPO / "tests" / "support" / "mcp_fixture_server.py"


def fixture_stdio(name: str = "fixture") -> McpServerConfig:
    return McpServerConfig(id=name, command=sys.executable, args=(str(FIXTURE), "stdio"))


@contextmanager
def fixture_http() -> Iterator[str]:
    """The fixture server over streamable HTTP in a subprocess; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, str(FIXTURE), "http"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("PORT "), f"the fixture server did not start: {line!r}"
        yield f"http://127.0.0.1:{int(line.split()[1])}/mcp"
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def http_server(url: str, name: str = "web", **fields: object) -> McpServerConfig:
    return McpServerConfig(id=name, transport=McpTransport.HTTP, url=url, **fields)  # type: ignore[arg-type]
