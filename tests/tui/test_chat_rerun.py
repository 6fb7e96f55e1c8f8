"""`axo chat` after a kill -9 mid-turn: the interrupted turn runs again, visibly, with the
input held until it ends, and the conversation stays in order.

The journal is left as a killed process leaves it: the earlier turn complete, the next
turn's run and activation `running` (owned by a process that is gone) and its user message
saved, with no reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import Input, Markdown, Static

from axo_tui.core.providers.base import Message
from axo_tui.core.store.journal import Journal
from axo_tui.core.tools import Tool, ToolContext
from axo_tui.tui.app import AxoApp
from axo_tui.tui.screens.chat import ChatScreen
from tests.support.tui import wait_until

PROJECT = """
name: rerun
agents:
  - id: pal
    provider: scripted
    tools: [current_time]
providers:
  scripted:
    replies:
      pal:
        - text: "Let me check."
          tool_calls: [{ name: current_time, arguments: {} }]
        - "Second answer."
        - "Third answer."
"""
SESSION = "chat:pal:default"


def leave_a_killed_turn(data_dir: Path) -> None:
    journal = Journal(data_dir / "axo.db")
    journal.append_session(
        SESSION,
        "pal",
        [Message(role="user", content="first"), Message(role="assistant", content="One.")],
    )
    journal.create_run("19a00000000000dead", "chat", "pal", "second", owner="gone")
    journal.start_activation(
        "19a00000000000act1", "19a00000000000dead", "pal", "chat", "second", session_id=SESSION
    )
    journal.append_session(SESSION, "pal", [Message(role="user", content="second")])
    journal.close()


def transcript(screen: ChatScreen) -> list[str]:
    lines = []
    for widget in screen.query_one("#transcript").children:
        if isinstance(widget, Markdown):
            lines.append(widget.source)
        elif isinstance(widget, Static):
            lines.append(str(widget.content))
    return lines


async def test_the_interrupted_turn_reruns_visibly_and_holds_the_input(
    make_app: Callable[..., AxoApp], tmp_path: Path
) -> None:
    config = tmp_path / "rerun" / "axo.yaml"
    config.parent.mkdir()
    config.write_text(PROJECT, encoding="utf-8")
    leave_a_killed_turn(config.parent / ".axo")
    app = make_app(config, mode="chat", chat_agent="pal")
    gate = asyncio.Event()
    entered: list[str] = []

    async def wait_at_gate(context: ToolContext, arguments: dict[str, Any]) -> str:
        entered.append(context.agent_id)
        await gate.wait()
        return "open"

    # The agent's tool, replaced by one that waits: the rerun stays mid-turn until released.
    app.bridge.runtime.tools.register(
        Tool("current_time", "Wait.", {"type": "object", "properties": {}}, wait_at_gate)
    )
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: entered == ["pal"], what="the rerun at its tool call")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        chat_input = screen.query_one("#chat-input", Input)
        lines = transcript(screen)
        assert lines[:2] == ["first", "One."]
        assert "runs again" in lines[2] and lines[3] == "second"  # shown as being rerun
        assert lines.count("second") == 1
        assert chat_input.disabled  # held: nothing can be sent in the middle of the turn
        await pilot.click("#chat-input")
        await pilot.press(*"third", "enter")
        await pilot.pause()
        journal = app.bridge.runtime.journal
        assert [m.content for m in journal.load_session(SESSION) if m.role == "user"] == [
            "first",
            "second",
        ]

        gate.set()
        await wait_until(pilot, lambda: not chat_input.disabled, what="the rerun's end")
        lines = transcript(screen)
        assert lines[:3] == ["first", "One.", "second"]
        assert "Second answer." in lines and lines[-1] == "↻ the interrupted turn ran again"
        assert chat_input.has_focus

        await pilot.press(*"third", "enter")
        await wait_until(pilot, lambda: screen.state.turns == 1, what="the next turn")
        history = [(m.role, m.content) for m in journal.load_session(SESSION) if m.content]
        assert history == [
            ("user", "first"),
            ("assistant", "One."),
            ("user", "second"),
            ("assistant", "Let me check."),
            ("tool", "open"),
            ("assistant", "Second answer."),
            ("user", "third"),
            ("assistant", "Third answer."),
        ]
        lines = transcript(screen)
        assert lines.index("Second answer.") < lines.index("third") < lines.index("Third answer.")
    journal = Journal(config.parent / ".axo" / "axo.db")
    record = journal.get_run("19a00000000000dead")
    journal.close()
    assert record is not None and record.status == "completed"
