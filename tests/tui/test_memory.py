"""The memory screen (`m`): an agent's core blocks and its recent recalls, kept current."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from textual.widgets import OptionList

from axo_tui.tui.app import AxoApp
from axo_tui.tui.bridge import RunRequest
from axo_tui.tui.memory_snapshot import Recall, recalls_from_entries
from axo_tui.tui.screens.memory import MemoryScreen
from axo_tui.tui.widgets.memory import CoreBlocksView, RecallsView, usage_bar
from tests.support.tui import wait_runs_done, wait_until


def shown(app: AxoApp, widget: type[CoreBlocksView] | type[RecallsView]) -> str:
    return str(app.screen.query_one(widget).render())


async def open_memory(pilot: object, app: AxoApp) -> MemoryScreen:
    await pilot.press("escape", "m")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, MemoryScreen))  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, MemoryScreen)
    return screen


async def test_blocks_recalls_and_edits_of_an_agent(
    make_app: Callable[..., AxoApp], memory_project: Path
) -> None:
    app = make_app(memory_project)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # One turn: the scout looks back in its log (a recall).
        await pilot.press("r", *"what happened?", "enter")
        await wait_runs_done(pilot, app)
        screen = await open_memory(pilot, app)
        assert screen.agent_id == "scout"
        await wait_until(pilot, lambda: screen.loads >= 1, what="recalls read")

        blocks = shown(app, CoreBlocksView)
        assert "persona" in blocks and "16/200 chars" in blocks
        assert "A careful scout." in blocks and "Who you are" in blocks
        assert "team" in blocks and " shared " in blocks and "(empty)" in blocks
        assert screen.query_one("#core-panel").border_title == "Core memory · scout"
        recalls = shown(app, RecallsView)
        assert "recall_timeframe " + dt.date.today().isoformat() in recalls
        assert "✓ activity" in recalls  # the start of what the tool returned
        assert "passive recall: top 5" in recalls

        # The agent edits its shared block in a turn while the screen is shown: the screen
        # follows the tool's event.
        app.bridge.start_run(RunRequest("agent", "scout", "remember"))
        await wait_runs_done(pilot, app, count=2)
        await wait_until(
            pilot,
            lambda: "Ship on Fridays." in shown(app, CoreBlocksView),
            what="the edited block",
        )

        # Another agent sharing the block sees the same text; `]` and the list move agents.
        await pilot.press("right_square_bracket")
        assert screen.agent_id == "keeper"
        assert screen.query_one("#memory-agents", OptionList).highlighted == 1
        await wait_until(pilot, lambda: "notes" in shown(app, CoreBlocksView))
        assert "Ship on Fridays." in shown(app, CoreBlocksView)
        await wait_until(pilot, lambda: "no recalls logged yet" in shown(app, RecallsView))
        await pilot.press("down")
        assert screen.agent_id == "plain"
        assert "core memory is off" in shown(app, CoreBlocksView)
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert screen.agent_id == "scout"

        # An edit made elsewhere (`axo memory edit`, another process) shows within a poll.
        keeper = app.bridge.runtime.config.agent("scout")
        app.bridge.runtime.memory.core.set(keeper, "persona", "Edited outside.")
        await wait_until(
            pilot, lambda: "Edited outside." in shown(app, CoreBlocksView), what="poll"
        )
        await pilot.press("escape")
        assert app.screen.id == "dev"


async def test_memory_is_on_the_footer_and_in_the_palette(
    make_app: Callable[..., AxoApp],
) -> None:
    from axo_tui.tui.commands import palette_actions

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        shown_keys = {
            key: active.binding.description
            for key, active in app.screen.active_bindings.items()
            if active.binding.show
        }
        assert shown_keys["m"] == "memory" and shown_keys["x"] == "cancel"
        titles = {action.title: action for action in palette_actions(app)}
        assert "Open memory" in titles
        assert "Memory of critic" in titles
        await pilot.press("ctrl+p", *"memory of critic")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MemoryScreen))
        assert isinstance(app.screen, MemoryScreen) and app.screen.agent_id == "critic"


def test_recalls_pair_calls_with_their_results() -> None:
    entries = [
        {"ts": "2026-01-02T10:00:00.000+00:00", "kind": "user", "content": "hi"},
        {
            "ts": "2026-01-02T10:00:01.000+00:00",
            "kind": "tool_call",
            "tool": "recall_search",
            "arguments": {"query": "tea", "k": 3},
            "activation_id": "a1",
        },
        {"kind": "tool_call", "tool": "calculator", "arguments": {}, "activation_id": "a1"},
        {
            "ts": "2026-01-02T10:00:02.000+00:00",
            "kind": "tool_call",
            "tool": "recall_timeframe",
            "arguments": {"from": "2026-01-01", "to": "2026-01-02"},
            "activation_id": "a1",
        },
        {
            "kind": "tool_result",
            "tool": "recall_search",
            "ok": True,
            "activation_id": "a1",
            "content": "- [2026-01-01] green tea",
        },
        {"kind": "tool_result", "tool": "calculator", "ok": True, "activation_id": "a1"},
    ]
    recalls = recalls_from_entries(entries)
    assert [(r.tool, r.ok, r.result) for r in recalls] == [
        ("recall_search", True, "- [2026-01-01] green tea"),
        ("recall_timeframe", None, ""),
    ]
    assert recalls[0].summary == '"tea" k=3'
    assert recalls[0].when == "2026-01-02 10:00:01"
    assert recalls[1].summary == "2026-01-01 to 2026-01-02"
    assert isinstance(recalls[0], Recall)


def test_passive_recalls_are_listed_with_the_memories_they_brought() -> None:
    section = (
        "<recalled_memories>\nFrom your earlier conversations (...):\n"
        "- [2026-01-01] user: my dog is Biscuit\n</recalled_memories>"
    )
    entries = [
        {
            "ts": "2026-01-02T10:00:00.000+00:00",
            "kind": "passive_recall",
            "query": "what is my dog called?",
            "content": section,
            "session_id": "s3",
        }
    ]
    (recall,) = recalls_from_entries(entries)
    assert (recall.tool, recall.ok, recall.session_id) == ("passive", True, "s3")
    assert recall.result == "- [2026-01-01] user: my dog is Biscuit"
    assert recall.summary == '"what is my dog called?"'


def test_usage_bar() -> None:
    assert usage_bar(0, 100, 10) == "▱" * 10
    assert usage_bar(1, 1000, 10) == "▰" + "▱" * 9
    assert usage_bar(50, 100, 10) == "▰" * 5 + "▱" * 5
    assert usage_bar(500, 100, 10) == "▰" * 10
