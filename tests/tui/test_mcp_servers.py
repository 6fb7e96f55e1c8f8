"""The workbench shows each MCP server's state: `mcp 1/2` in the header, a log line when one
becomes ready or fails; MCP tool calls show in the log like any tool call."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from axo_tui.tui.app import AxoApp
from tests.support.tui import DIAMOND_YAML, log_text, wait_until

BAD = Path(__file__).resolve().parents[1] / "support" / "bad_mcp_server.py"


async def test_server_states_in_the_header_and_the_log(
    tmp_path: Path, make_app: Callable[..., AxoApp]
) -> None:
    config = tmp_path / "mcp" / "axo.yaml"
    config.parent.mkdir()
    config.write_text(
        DIAMOND_YAML + "mcp_servers:\n"
        f"  - {{name: good, command: '{sys.executable}', args: ['{BAD}', good]}}\n"
        f"  - {{name: gone, command: '{sys.executable}', args: ['{BAD}', exit]}}\n",
        encoding="utf-8",
    )
    app = make_app(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(
            pilot,
            lambda: (
                "MCP server 'good' ready: 1 tools" in log_text(app)
                and "MCP server 'gone' closed the connection" in log_text(app)
            ),
            what="both servers settled",
        )
        header = app.screen.query_one("#header-left").render()
        assert "mcp 1/2" in str(header)
