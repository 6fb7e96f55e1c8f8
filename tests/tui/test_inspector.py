"""The event inspector and the command palette."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from rich.json import JSON
from textual.command import CommandPalette
from textual.widgets import DataTable, OptionList, Static

from axo_tui.tui.app import AxoApp
from axo_tui.tui.screens.events import EventsScreen
from axo_tui.tui.widgets.run_bar import RunBar
from tests.support.tui import wait_runs_done, wait_until


def shown_payload(screen: EventsScreen) -> dict[str, Any]:
    """The JSON text on screen, parsed: what the user reads is valid, complete JSON."""
    content = screen.query_one("#payload", Static).content
    assert isinstance(content, JSON)
    data = json.loads(content.text.plain)
    assert isinstance(data, dict)
    return data


async def test_event_inspector_shows_payloads_and_spend(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r", *"light", "enter")
        await wait_runs_done(pilot, app)
        await pilot.press("ctrl+e")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, EventsScreen)
        events = screen.query_one("#event-list", OptionList)
        assert events.option_count == len(screen._shown) > 10
        assert all(event.kind != "token.streamed" for event in screen._shown)
        # The newest event (the run's end) is selected and its payload shown as JSON.
        data = shown_payload(screen)
        assert data["kind"] == "run.completed" and data["output"].startswith("FINAL ANSWER")
        # Move up: the selection's payload follows.
        await pilot.press("up")
        await pilot.pause()
        assert shown_payload(screen)["seq"] < data["seq"]
        spend = screen.query_one("#spend", DataTable)
        total = spend.get_row("total")
        assert total[0] == "total" and int(total[1]) == 4  # four agents, one call each
        await pilot.press("t")
        await pilot.pause()
        assert any(event.kind == "token.streamed" for event in screen._shown)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "dev"


async def test_command_palette_offers_every_action(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        palette = app.screen
        await pilot.pause(0.3)
        listed = palette.query_one("CommandList", OptionList)
        prompts = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
        text = "\n".join(prompts)
        for title in (
            "Run workflow research",
            "Fire skill review",
            "Chat with writer",
            "Run agent planner",
            "Open event inspector",
            "Filter log",
            "Reload config",
            "Quit axo",
        ):
            assert title in text, title
        await pilot.press(*"workflow research")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "dev"
        bar = app.screen.query_one(RunBar)
        assert bar.target == ("workflow", "research")
        assert app.focused is not None and app.focused.id == "run-input"
