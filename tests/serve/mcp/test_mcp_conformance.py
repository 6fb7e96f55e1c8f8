"""The official MCP conformance suite (npm @modelcontextprotocol/conformance) runs its
server scenarios against `axo mcp serve --http`, a real process on 127.0.0.1. Failures
axo accepts are in conformance-baseline.yml with their reasons; the suite fails this test
on any other failure, and on a listed one that starts to pass."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mcp_project import write_project
from tests.support.peers import conformance

AXO = str(Path(sys.executable).parent / "axo")
BASELINE = Path(__file__).with_name("conformance-baseline.yml")
RUN_TIMEOUT = 180
"""The whole server suite takes a few seconds; a hung scenario must not hang the tests."""


@pytest.fixture
def axo_http(tmp_path: Path) -> Iterator[str]:
    """`axo mcp serve --http --port 0` until the test ends; yields its /mcp URL."""
    config = write_project(tmp_path / "project")
    server = subprocess.Popen(
        [AXO, "-c", str(config), "mcp", "serve", "--http", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=config.parent,
        env={**os.environ, "AXO_API_TOKEN": ""},
    )
    assert server.stderr is not None
    seen: list[str] = []
    for line in server.stderr:
        seen.append(line)
        found = re.search(r"listening on (http://\S+)", line)
        if found:
            break
    else:
        server.wait(10)
        pytest.fail(f"axo mcp serve --http did not start: {''.join(seen)}")
    try:
        yield f"{found[1]}/mcp"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        finally:
            if server.poll() is None:
                server.kill()
            server.stderr.close()


def test_the_conformance_server_scenarios_pass_but_the_accepted_ones(
    axo_http: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        conformance(
            "server",
            "--url",
            axo_http,
            "--expected-failures",
            str(BASELINE),
            "-o",
            str(tmp_path / "results"),
        ),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        cwd=tmp_path,
    )
    summary = done.stdout[done.stdout.find("=== SUMMARY ===") :]
    assert done.returncode == 0, summary + done.stderr[-2000:]
    for scenario in ("server-initialize", "tools-list", "resources-list", "ping"):
        assert f"✓ {scenario}:" in summary
