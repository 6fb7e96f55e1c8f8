"""The official MCP conformance suite's client scenarios against axo's MCP client (the
connection a `mcp_servers:` entry opens), driven by mcp_conformance_client.py. Accepted
failures are in tests/serve/mcp/conformance-baseline.yml under `client:`, with reasons.
The `auth/*` scenarios are not run: they test OAuth flows, and axo's client authenticates
with the headers configured for a server, not OAuth (docs/mcp.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.peers import conformance

DRIVER = Path(__file__).with_name("mcp_conformance_client.py")
BASELINE = Path(__file__).parents[2] / "serve" / "mcp" / "conformance-baseline.yml"
SCENARIO_TIMEOUT_MS = 20_000
SCENARIOS = ["initialize", "tools_call", "sse-retry", "elicitation-sep1034-client-defaults"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_conformance_client_scenario(scenario: str, tmp_path: Path) -> None:
    done = subprocess.run(
        conformance(
            "client",
            "--command",
            f"{sys.executable} {DRIVER}",
            "--scenario",
            scenario,
            "--timeout",
            str(SCENARIO_TIMEOUT_MS),
            "--expected-failures",
            str(BASELINE),
            "-o",
            str(tmp_path / "results"),
        ),
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT_MS / 1000 + 60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
