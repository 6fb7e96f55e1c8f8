"""An 80×24 terminal: the lattice keeps most of the top row, the header and the footer fit,
and toasts sit above the run bar instead of over it. 120×40 keeps the full layout."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input

from axo_tui.tui.app import AxoApp
from axo_tui.tui.widgets.agents import AgentsTable
from tests.support.tui import wait_runs_done


def footer_text(app: AxoApp) -> str:
    return " ".join(str(key.render()) for key in app.screen.query("FooterKey"))


async def test_at_80x24_the_lattice_gets_the_room(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lattice = app.screen.query_one("#lattice-panel")
        agents = app.screen.query_one("#agents-panel")
        assert lattice.size.width >= 40 and lattice.size.width > agents.size.width
        assert app.screen.query_one(AgentsTable).columns_shown == ("agent", "status", "tokens")
        header = str(app.screen.query_one("#header-left").render())
        assert "diamond" in header and "$" in header and "…" not in header
        assert "? keys" in footer_text(app) and "f filter" not in footer_text(app)

        await pilot.press("r", *"go", "enter")
        await wait_runs_done(pilot, app)
        app.notify("a toast")
        await pilot.pause(0.3)
        run_bar = app.screen.query_one("#run-bar").region
        for toast in app.screen.query("Toast"):
            assert not toast.region.overlaps(run_bar)
        assert isinstance(app.focused, Input)


async def test_at_120x40_everything_is_shown(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(AgentsTable).columns_shown[-1] == "spend"
        assert str(app.screen.query_one("#header-left").render()).startswith(" axo dev")
        assert "f filter" in footer_text(app) and "m memory" in footer_text(app)
        await pilot.resize_terminal(80, 24)  # and back to narrow on a resize
        await pilot.pause(0.2)
        assert "f filter" not in footer_text(app)
        assert app.screen.query_one(AgentsTable).columns_shown[-1] == "tokens"
