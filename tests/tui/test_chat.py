"""Chat with an agent: in the Textual screen, and line by line as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, Markdown, Static

from axo_tui.tui.app import AxoApp
from axo_tui.tui.screens.chat import ChatScreen
from tests.support.tui import wait_until

REPLY = "FINAL ANSWER: light becomes sugar."
AXO = [sys.executable, "-c", "from axo_tui.cli.main import run; run()"]
"""The `axo` console script, run by the interpreter of the tests (no PATH lookup)."""


def transcript(screen: ChatScreen) -> list[str]:
    lines = []
    for widget in screen.query_one("#transcript").children:
        if isinstance(widget, Markdown):
            lines.append(widget.source)
        elif isinstance(widget, Static):
            lines.append(str(widget.content))
    return lines


async def test_chat_screen_streams_the_reply_as_markdown(make_app: Callable[..., AxoApp]) -> None:
    app = make_app(mode="chat", chat_agent="writer", chat_session="notes")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        assert screen.state.session_id == "chat:writer:notes"
        await pilot.press(*"explain photosynthesis", "enter")
        await wait_until(pilot, lambda: not screen._busy and screen.state.turns == 1, what="a turn")
        lines = transcript(screen)
        assert "explain photosynthesis" in lines
        assert REPLY in lines  # streamed into one Markdown block
        assert any(line.endswith(" tok") for line in lines)
        # The turn went through the engine into the named session.
        history = app.bridge.runtime.journal.load_session("chat:writer:notes")
        assert [m.role for m in history] == ["user", "assistant"]


async def test_chat_shows_tool_calls_inline(make_app: Callable[..., AxoApp]) -> None:
    app = make_app(mode="chat", chat_agent="helper")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        await pilot.press(*"what is 6*7?", "enter")
        await wait_until(pilot, lambda: screen.state.turns == 1, what="a turn")
        lines = transcript(screen)
        start = lines.index("what is 6*7?")
        assert lines[start + 1 : start + 5] == [
            "Let me compute that.",
            '▸ tool calculator {"expression": "6*7"}',
            "◂ calculator → 42",
            "The answer is **42**.",
        ]


async def test_chat_slash_commands_and_session_history(make_app: Callable[..., AxoApp]) -> None:
    app = make_app(mode="chat", chat_agent="critic")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: screen.state.turns == 1, what="a turn")
        await pilot.press(*"/tokens", "enter")
        await pilot.pause()
        assert any("in 1 turn" in line for line in transcript(screen))
        await pilot.press(*"/agent planner", "enter")
        await pilot.pause()
        assert screen.state.agent_id == "planner"
        assert any("now talking to planner" in line for line in transcript(screen))
        await pilot.press(*"/agent critic", "enter")
        await pilot.pause()
        # Back to the critic: its earlier turn is shown again from the journal.
        assert "hello" in transcript(screen)
        await pilot.press(*"/reset", "enter")
        await pilot.pause()
        assert app.bridge.runtime.journal.load_session("chat:critic:default") == []
        await pilot.press(*"/quit", "enter")
        await pilot.pause()
    assert app.return_code in (0, None)


async def test_ctrl_t_opens_chat_and_escape_returns_to_the_workbench(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert isinstance(app.focused, Input) and app.focused.id == "chat-input"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "dev"


def run_plain(project: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "AXO_DATA_DIR": str(project.parent / ".axo")}
    return subprocess.run(
        [*AXO, "chat", "-p", str(project), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_plain_chat_streams_replies_and_runs_slash_commands(project: Path) -> None:
    result = run_plain(
        project,
        "what is light?\n/tokens\n/session other\n/session\n/nope\nagain\n/quit\nnever sent\n",
        "-a",
        "writer",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == REPLY
    assert out[1].startswith("this session: ") and "in 1 turn" in out[1]
    assert out[2] == "session 'other' with writer, new"
    assert out[3].startswith("session 'other' with writer (others: default")
    assert out[4] == REPLY
    assert out[5] == "bye"
    assert "unknown command /nope" in result.stderr
    assert "Traceback" not in result.stderr


def test_plain_chat_unknown_agent_is_a_clear_error(project: Path) -> None:
    result = run_plain(project, "hi\n", "-a", "nobody")
    assert result.returncode == 1
    assert "no agent 'nobody'" in result.stderr and "planner" in result.stderr
    assert "Traceback" not in result.stderr


def test_plain_chat_reports_a_failed_turn_and_exits_1(project: Path) -> None:
    text = project.read_text().replace(
        "token_budget: {per_execution: 3000}", "token_budget: {per_call: 5, per_execution: 3000}"
    )
    project.write_text(text)
    result = run_plain(project, "hi\n", "-a", "writer")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "error: " in result.stderr and "per_call" in result.stderr
    assert "Traceback" not in result.stderr
