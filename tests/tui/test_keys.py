"""Keys a newcomer tries first: the workbench starts where its letters work, `?` and F1
list the keys, the agents panel has a key, a stray Enter runs nothing, and the empty log
says how to start."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, Static

from axo_tui.tui.app import AxoApp
from axo_tui.tui.screens.dev import DevScreen
from axo_tui.tui.screens.events import EventsScreen
from axo_tui.tui.screens.keys import KeysScreen
from axo_tui.tui.screens.memory import MemoryScreen
from axo_tui.tui.widgets.agents import AgentsTable
from axo_tui.tui.widgets.event_log import EventLog
from axo_tui.tui.widgets.run_bar import RunBar
from tests.support.tui import screen_rows, wait_until

SIZE = (120, 40)


def keys_listed(app: AxoApp) -> str:
    return str(app.screen.query_one("#keys-list", Static).render())


async def test_the_workbench_starts_where_its_keys_work(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, EventLog)
        await pilot.press("m")  # the README's first key opens memory, not an "m" in the input
        await wait_until(pilot, lambda: isinstance(app.screen, MemoryScreen), what="memory")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#run-input", Input).value == ""


async def test_question_mark_and_f1_open_the_key_overview(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, KeysScreen), what="the keys")
        listed = keys_listed(app)
        assert "cancel a running run" in listed and "filter the log" in listed
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DevScreen))

        # In the run bar `?` is part of a question; F1 still opens the overview.
        await pilot.press("r", *"why?")
        assert app.screen.query_one("#run-input", Input).value == "why?"
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, KeysScreen))
        await pilot.press("f1")  # again: closed
        await wait_until(pilot, lambda: isinstance(app.screen, DevScreen))

        # Elsewhere the overview lists that screen's own keys.
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, EventsScreen))
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, KeysScreen))
        assert "tokens on/off" in keys_listed(app)


async def test_a_gives_the_agents_panel_the_focus(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.focused, AgentsTable)
        await pilot.press("down", "enter")  # narrows the log to the second agent
        await pilot.pause()
        assert app.screen.query_one(EventLog).log_filter.agent_id == "researcher"
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.focused, EventLog)


async def test_enter_on_an_empty_run_bar_runs_nothing(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r", "enter", *"   ", "enter")
        await pilot.pause(0.2)
        assert not app.model.runs
        assert not app.bridge.runtime.journal.list_runs()
        assert any("type an input first" in str(n.message) for n in app._notifications)


async def test_the_empty_log_says_how_to_run_the_chosen_target(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        log = app.screen.query_one(EventLog)
        shown = "\n".join(screen_rows(log))
        assert "Press r, type a question below and press Enter to run workflow `research`" in shown
        app.screen.query_one(RunBar).choose("agent", "helper")  # also moves into the bar
        await pilot.pause()
        shown = "\n".join(screen_rows(log))
        assert "Type a question below and press Enter to run agent `helper`" in shown
