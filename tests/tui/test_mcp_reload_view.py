"""A reload that adds or removes MCP servers shows in the workbench: the log line says what
started and stopped, the header counts the servers the config now names."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from axo_tui.tui.app import AxoApp
from tests.support.tui import DIAMOND_YAML, log_text, wait_until

BAD = Path(__file__).resolve().parents[1] / "support" / "bad_mcp_server.py"
GOOD = f"  - {{name: good, command: '{sys.executable}', args: ['{BAD}', good]}}\n"


def header(app: AxoApp) -> str:
    return str(app.screen.query_one("#header-left", Static).render())


async def test_servers_added_and_removed_by_a_reload(
    make_app: Callable[..., AxoApp], project: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert "mcp " not in header(app)
        project.write_text(DIAMOND_YAML + "mcp_servers:\n" + GOOD, encoding="utf-8")
        await app.reload_config()
        await wait_until(
            pilot,
            lambda: "MCP server 'good' ready: 1 tools" in log_text(app),
            what="the added server ready",
        )
        assert "config reloaded: 5 agents, 1 workflows; MCP: started good" in log_text(app)
        await wait_until(pilot, lambda: "mcp 1/1" in header(app), what="the header")

        project.write_text(DIAMOND_YAML, encoding="utf-8")
        await app.reload_config()
        await wait_until(pilot, lambda: "mcp " not in header(app), what="the server gone")
        assert "MCP: stopped good" in log_text(app)
