"""The lattice and the agents table under a stream of batches: they redraw only when what
they show changed, at most ten times a second, and never miss the last state."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.text import Text

from axo_tui.core.events.catalog import AgentActivated, RunStarted, TokenStreamed
from axo_tui.tui.app import AxoApp
from axo_tui.tui.settings import WorkbenchSettings, frozen_clock
from axo_tui.tui.widgets.agents import AgentsTable
from axo_tui.tui.widgets.lattice import LatticeView
from axo_tui.tui.widgets.throttle import Throttle
from tests.support.tui import wait_until


async def test_throttle_runs_at_once_then_once_per_interval(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        runs: list[float] = []
        throttle = Throttle(app.screen, lambda: runs.append(time.monotonic()), interval=0.1)
        for _ in range(5):
            throttle.request()
        assert len(runs) == 1 and throttle.pending  # the first at once, the rest are due
        await wait_until(pilot, lambda: len(runs) == 2, what="the trailing run")
        assert runs[1] - runs[0] >= 0.09
        await pilot.pause(0.15)
        assert len(runs) == 2  # four requests, one trailing run
        throttle.request()  # after a quiet spell: at once again
        assert len(runs) == 3


async def test_throttle_runs_with_the_first_request_after_the_interval(
    make_app: Callable[..., AxoApp],
) -> None:
    """A batch that comes after the interval redraws in its own frame, not on a timer."""
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        runs: list[float] = []
        throttle = Throttle(
            app.screen, lambda: runs.append(time.monotonic()), interval=0.1, grace=0.5
        )
        throttle.request()
        throttle.request()
        assert len(runs) == 1 and throttle.pending
        await pilot.pause(0.12)
        assert len(runs) == 1  # the fallback waits out the grace for a request
        throttle.request()
        assert len(runs) == 2 and not throttle.pending  # ran now; the fallback is off
        await pilot.pause(0.6)
        assert len(runs) == 2


def count_calls(widget: Any, method: str) -> list[int]:
    """Count the calls of `widget.method` (wrapped on the instance)."""
    calls = [0]
    original = getattr(widget, method)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    setattr(widget, method, counted)
    return calls


async def test_tokens_alone_redraw_neither_the_table_nor_the_lattice(
    make_app: Callable[..., AxoApp],
) -> None:
    # A still clock: pulses hold their level, so only a change of state may redraw.
    app = make_app(
        settings=WorkbenchSettings(show_times=False, watch_config=False, clock=frozen_clock())
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(AgentsTable)
        lattice = app.screen.query_one(LatticeView)
        bus = app.bridge.runtime.bus
        bus.emit(RunStarted, run_id="r", run_kind="agent", target="writer", input="")
        bus.emit(
            AgentActivated, run_id="r", agent_id="writer", activation_id="a", trigger="t", input=""
        )
        await wait_until(pilot, lambda: str(table.get_row("writer")[1]) == "running")
        await pilot.pause(0.15)
        cells = count_calls(table, "update_cell")
        refreshes = count_calls(lattice, "refresh")
        batches = app.bridge.batches
        for index in range(20):
            bus.emit(
                TokenStreamed, run_id="r", agent_id="writer", activation_id="a", text=f"w{index} "
            )
            await pilot.pause(0.02)
        await pilot.pause(0.15)
        assert app.bridge.batches > batches
        assert cells[0] == 0
        assert refreshes[0] == 0  # the writer was at full activity already: same picture


async def test_a_theme_change_recolours_the_agents_table(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(AgentsTable)

        def status_style() -> object:
            status = table.get_row("planner")[1]
            assert isinstance(status, Text)
            return status.style

        assert status_style() == table.get_component_rich_style("agents--idle")
        before = status_style()
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        await wait_until(pilot, lambda: status_style() != before, what="recoloured cells")
        assert status_style() == table.get_component_rich_style("agents--idle")
