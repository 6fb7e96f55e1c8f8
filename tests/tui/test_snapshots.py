"""Screenshots of the main screen after a run, the chat screen after a turn, the memory
screen and the cancel-a-run dialog.

Deterministic by construction: fixed terminal size, scripted replies, a frozen clock (pulses
hold still), no clock times or durations, no toasts, no blinking cursor.
Update with `pytest tests/tui/test_snapshots.py --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from axo_tui.tui.app import AxoApp
from axo_tui.tui.screens.cancel_run import CancelRunScreen
from axo_tui.tui.screens.memory import MemoryScreen
from axo_tui.tui.settings import WorkbenchSettings
from tests.support.tui import add_wait_tool, start_slow_run, wait_runs_done, wait_until

SIZE = (120, 36)


def test_main_screen_after_a_completed_run(
    snap_compare: Any, make_app: Callable[..., AxoApp], still_settings: WorkbenchSettings
) -> None:
    app = make_app(settings=still_settings)

    async def run_workflow(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.press("r", *"photosynthesis", "enter")
        await wait_runs_done(pilot, app)
        await pilot.press("escape")  # leave the input: the footer shows the screen's keys
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_workflow)


def test_main_screen_at_80x24_after_a_run(
    snap_compare: Any, make_app: Callable[..., AxoApp], still_settings: WorkbenchSettings
) -> None:
    app = make_app(settings=still_settings)

    async def run_workflow(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.press("r", *"photosynthesis", "enter")
        await wait_runs_done(pilot, app)
        await pilot.press("escape")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_workflow)


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


def test_cancel_run_dialog(
    snap_compare: Any,
    make_app: Callable[..., AxoApp],
    slow_project: Path,
    still_settings: WorkbenchSettings,
) -> None:
    entered: list[str] = []
    app = make_app(slow_project, settings=still_settings)
    add_wait_tool(app, entered)

    async def open_dialog(pilot: Pilot[None]) -> None:
        await start_slow_run(pilot, app, entered)
        await pilot.press("escape", "x")
        await wait_until(pilot, lambda: isinstance(app.screen, CancelRunScreen))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_dialog)


def test_memory_screen(
    snap_compare: Any,
    make_app: Callable[..., AxoApp],
    memory_project: Path,
    still_settings: WorkbenchSettings,
) -> None:
    app = make_app(memory_project, settings=still_settings)

    async def open_memory(pilot: Pilot[None]) -> None:
        # A recorded day with fixed dates and texts (a live turn would log today's).
        log = memory_project.parent / ".axo" / "logs" / "daily" / "scout" / "2026-01-02.jsonl"
        log.parent.mkdir(parents=True)
        entries = [
            ("tool_call", {"tool": "recall_search", "arguments": {"query": "tea", "k": 3}}),
            (
                "tool_result",
                {
                    "tool": "recall_search",
                    "ok": True,
                    "content": "- [2026-01-01 09:12 score 0.82] user: I only drink green tea\n"
                    "- [2025-12-30 17:40 score 0.41] user: coffee after lunch is fine",
                },
            ),
            ("tool_call", {"tool": "recall_timeframe", "arguments": {"date": "2026-01-01"}}),
            (
                "tool_result",
                {"tool": "recall_timeframe", "ok": False, "content": "no activity recorded"},
            ),
        ]
        log.write_text(
            "".join(
                json.dumps({"ts": "2026-01-02T10:00:00", "kind": kind, "activation_id": "a1", **e})
                + "\n"
                for kind, e in entries
            ),
            encoding="utf-8",
        )
        runtime = app.bridge.runtime
        runtime.memory.core.set(runtime.config.agent("scout"), "team", "Ship on Fridays.")
        await pilot.pause()
        await pilot.press("escape", "m")
        await wait_until(pilot, lambda: isinstance(app.screen, MemoryScreen))
        screen = app.screen
        assert isinstance(screen, MemoryScreen)
        await wait_until(pilot, lambda: screen.loads >= 1)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_memory)
