"""Cancelling a running run from the workbench: `x` (or the palette), a confirmation, and
the run ends `cancelled` in the journal and on screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Label

from axo_tui.tui.app import AxoApp
from axo_tui.tui.commands import palette_actions
from axo_tui.tui.screens.cancel_run import CancelRunScreen
from axo_tui.tui.screens.dev import DevScreen
from tests.support.tui import add_wait_tool, log_text, start_slow_run, wait_until


async def test_x_asks_then_cancels_the_run(
    make_app: Callable[..., AxoApp], slow_project: Path
) -> None:
    entered: list[str] = []
    app = make_app(slow_project)
    add_wait_tool(app, entered)
    async with app.run_test(size=(120, 40)) as pilot:
        run_id = await start_slow_run(pilot, app, entered)
        status = app.screen.query_one("#run-status", Label)
        assert str(status.render()) == "● 1 running · x cancel"

        # Escape keeps it running.
        await pilot.press("escape", "x")
        await wait_until(pilot, lambda: isinstance(app.screen, CancelRunScreen))
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert isinstance(app.screen, DevScreen)
        assert app.model.runs[run_id].status == "running"

        # Enter cancels the highlighted run.
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, CancelRunScreen))
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: app.model.runs[run_id].status == "cancelled", what="cancelled"
        )
        await pilot.pause()
        assert isinstance(app.screen, DevScreen)
        assert app.model.agents["slow"].phase == "cancelled"
        assert app.model.agents["after"].phase == "idle"
        text = log_text(app)
        assert "slow ✗ cancelled" in text and "■ run #1 cancelled" in text
        assert "after ▶ started" not in text
        assert str(status.render()) == ""
        record = app.bridge.runtime.journal.get_run(run_id)
        assert record is not None and record.status == "cancelled"
        statuses = [a.status for a in app.bridge.runtime.journal.activations(run_id)]
        assert statuses == ["cancelled"]
        # Nothing more starts afterwards.
        await pilot.pause(0.2)
        assert entered == ["slow"] and not app.model.active_run_ids()
        # And with nothing running, `x` says so instead of opening the dialog.
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, DevScreen)


async def test_palette_cancels_a_chosen_run_and_chat_hears_of_it(
    make_app: Callable[..., AxoApp], slow_project: Path
) -> None:
    entered: list[str] = []
    app = make_app(slow_project)
    add_wait_tool(app, entered)
    async with app.run_test(size=(120, 40)) as pilot:
        run_id = await start_slow_run(pilot, app, entered)
        titles = [action.title for action in palette_actions(app)]
        assert "Cancel run #1 workflow chain" in titles
        await pilot.press("ctrl+p", *"cancel run #1")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CancelRunScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: app.model.runs[run_id].status == "cancelled")
        assert "Cancel run #1 workflow chain" not in [a.title for a in palette_actions(app)]


async def test_cancelled_chat_turn_frees_the_chat(
    make_app: Callable[..., AxoApp], slow_project: Path
) -> None:
    from axo_tui.tui.screens.chat import ChatScreen

    entered: list[str] = []
    app = make_app(slow_project, mode="chat", chat_agent="slow")
    add_wait_tool(app, entered)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: entered == ["slow"], what="the slow tool")
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        app.confirm_cancel()
        await wait_until(pilot, lambda: isinstance(app.screen, CancelRunScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: not chat._busy, what="the chat freed")
        texts = [str(widget.render()) for widget in chat.query(".chat-error")]
        assert "✗ cancelled" in texts
