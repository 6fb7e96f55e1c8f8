"""Screenshots of the main screen after a run and of the chat screen after a turn.

Deterministic by construction: fixed terminal size, scripted replies, a frozen clock (pulses
hold still), no clock times or durations, no toasts, no blinking cursor.
Update with `pytest tests/tui/test_snapshots.py --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from axo_tui.tui.app import AxoApp
from axo_tui.tui.settings import WorkbenchSettings

from .helpers import wait_runs_done, wait_until

SIZE = (120, 36)


def test_main_screen_after_a_completed_run(
    snap_compare: Any, make_app: Callable[..., AxoApp], still_settings: WorkbenchSettings
) -> None:
    app = make_app(settings=still_settings)

    async def run_workflow(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.press(*"photosynthesis", "enter")
        await wait_runs_done(pilot, app)
        await pilot.press("escape")  # leave the input: the footer shows the screen's keys
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_workflow)


def test_chat_screen_after_a_turn(
    snap_compare: Any, make_app: Callable[..., AxoApp], still_settings: WorkbenchSettings
) -> None:
    app = make_app(settings=still_settings, mode="chat", chat_agent="writer")

    async def chat(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.press(*"What is **photosynthesis**?", "enter")
        screen: Any = app.screen
        await wait_until(pilot, lambda: screen.state.turns == 1, what="a chat turn")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=chat)
