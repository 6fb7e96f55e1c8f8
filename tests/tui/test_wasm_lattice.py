"""WASM agents in the workbench lattice: `kind: wasm` agents of the config and agents
deployed while it runs are nodes, and their ACL messages are pulses along an edge between
them (the template's ping and pong: ping sends pong a request every 500 ms)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from axo_tui.tui.app import AxoApp
from axo_tui.tui.widgets.agents import AgentsTable
from axo_tui.tui.widgets.lattice import LatticeView
from tests.core.wasm import guests
from tests.support.tui import wait_until

TEMPLATE = Path(__file__).parents[2] / "templates" / "wasm" / "agents"
CONFIG = """name: pingpong
agents:
  - id: ping
    kind: wasm
    module: agents/ping.wat
  - id: pong
    kind: wasm
    module: agents/pong.wat
"""


def ping_pong_project(tmp_path: Path) -> Path:
    shutil.copytree(TEMPLATE, tmp_path / "agents")
    config = tmp_path / "axo.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


async def test_ping_and_pong_are_nodes_and_their_messages_pulse_along_an_edge(
    make_app: Callable[..., AxoApp], tmp_path: Path
) -> None:
    app = make_app(ping_pong_project(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        lattice = app.screen.query_one(LatticeView)
        # Both are nodes from the start; the edge comes with the first message (ping may
        # have sent it already on a slow machine, so its absence is not asserted).
        assert set(lattice._layout.nodes) == {"ping", "pong"}
        await wait_until(
            pilot, lambda: bool(lattice._layout.cells), what="an edge between ping and pong"
        )
        await wait_until(
            pilot,
            lambda: app.model.pulse("ping") > 0 and app.model.pulse("pong") > 0,
            what="both pulsing",
        )
        await pilot.pause()
        picture = lattice.render().plain
        log_lines = [line.text for line in app.model.log.since(app.model.log.first_index)]
    assert "▶" in picture  # the edge's arrow
    assert "[ping ●" in picture and "[pong ●" in picture
    assert len(app.model.links) == 1  # one edge for the pair, whichever spoke first
    assert set(app.model.links) <= {("ping", "pong"), ("pong", "ping")}
    assert any(line.startswith("✉ ping → pong request") for line in log_lines)
    assert any(line.startswith("✉ pong → ping inform") for line in log_lines)


async def test_an_agent_deployed_while_the_workbench_runs_joins_and_leaves_the_lattice(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()  # the diamond project: LLM agents only
    async with app.run_test(size=(120, 40)) as pilot:
        messaging = app.bridge.runtime.messaging
        assert messaging is not None
        lattice = app.screen.query_one(LatticeView)
        table = app.screen.query_one(AgentsTable)
        assert "echo" not in lattice._layout.nodes
        messaging.deploy("echo", guests.silent())
        await wait_until(pilot, lambda: "echo" in lattice._layout.nodes, what="echo's node")
        assert "echo" in table.rows
        assert "[echo ○○○○]" in lattice.render().plain
        messaging.undeploy("echo")
        await wait_until(pilot, lambda: "echo" not in lattice._layout.nodes, what="echo gone")
        assert "echo" not in table.rows
