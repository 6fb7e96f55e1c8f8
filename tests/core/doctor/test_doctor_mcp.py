"""`axo doctor` starts each enabled MCP server and lists its tools, or says why not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from axo_tui.core.doctor.model import DoctorOptions, Status
from axo_tui.core.doctor.runner import run_doctor_async

BAD = Path(__file__).resolve().parents[2] / "support" / "bad_mcp_server.py"

pytestmark = pytest.mark.asyncio


async def test_each_server_is_a_row(tmp_path: Path) -> None:
    (tmp_path / "axo.yaml").write_text(
        "agents:\n  - {id: a, provider: scripted}\n"
        "providers:\n  scripted: {kind: scripted}\n"
        "mcp_servers:\n"
        f"  - {{name: good, command: '{sys.executable}', args: ['{BAD}', good]}}\n"
        f"  - {{name: hangs, command: '{sys.executable}', args: ['{BAD}', hang],"
        " start_timeout_secs: 1}\n"
        "  - {name: off, command: nothing, enabled: false}\n",
        encoding="utf-8",
    )
    report = await run_doctor_async(DoctorOptions(config=tmp_path / "axo.yaml"))
    rows = {r.name: r for r in report.checks if r.name.startswith("mcp")}
    assert set(rows) == {"mcp:good", "mcp:hangs"}
    assert (rows["mcp:good"].status, rows["mcp:good"].message) == (
        Status.OK,
        "started over stdio, 1 tools",
    )
    assert rows["mcp:hangs"].status is Status.FAIL
    assert (
        rows["mcp:hangs"].message
        == "MCP server 'hangs' did not start within 1s (start_timeout_secs)"
    )
    assert "axo mcp servers" in (rows["mcp:hangs"].fix or "")
