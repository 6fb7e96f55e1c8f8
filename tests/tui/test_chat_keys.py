"""Ctrl+C, Ctrl+D and Escape in chat, as in `ollama run`: Ctrl+C stops the answer being
written and, with nothing to stop, quits; Ctrl+D on an empty line quits; Escape never ends
the standalone `axo chat`. In the Textual chat and in `axo chat --plain`, against a real
OpenAI-compatible server on 127.0.0.1 that holds the request (the turn is surely in flight)."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from axo_tui.tui.app import AxoApp
from axo_tui.tui.screens.chat import ChatScreen
from axo_tui.tui.screens.dev import DevScreen
from tests.support.cli import axo_command, clean_env
from tests.support.crash_project import signal_mid_call, write_project
from tests.support.echo_openai import FakeOpenAI, running_fake
from tests.support.tui import wait_until

pytestmark = pytest.mark.timeout(120)

TAG = "chat"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with running_fake(delay=0.0) as server:
        yield server


@pytest.fixture
def held_project(tmp_path: Path, fake: FakeOpenAI) -> Path:
    """Agent `a` talks to the fake server, whose answers to it wait until released."""
    fake.held.add((TAG, "a"))
    return write_project(tmp_path / "held", fake.base_url(TAG))


def chat_lines(screen: ChatScreen) -> list[str]:
    return [str(widget.render()) for widget in screen.query(".chat-meta, .chat-error")]


# ------------------------------------------------------------------------- Textual
async def test_ctrl_c_stops_the_answer_then_quits_axo_chat(
    make_app: Callable[..., AxoApp], held_project: Path, fake: FakeOpenAI
) -> None:
    app = make_app(held_project, mode="chat", chat_agent="a")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: fake.count(TAG, "a") == 1, what="the request")
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: not chat._busy, what="the turn stopped")
        assert "■ stopped · Ctrl+C again quits" in chat_lines(chat)
        (run,) = app.bridge.runtime.journal.list_runs()
        assert (run.kind, run.status) == ("chat", "cancelled")
        assert app.is_running

        await pilot.press(*"draft")  # Ctrl+C drops a line typed so far, as a shell does
        await pilot.press("ctrl+c")
        assert chat.query_one("#chat-input", Input).value == ""
        assert app.is_running
        await pilot.press("ctrl+c")  # with nothing to stop or drop: quits
        await wait_until(pilot, lambda: not app.is_running, what="the chat to quit")


async def test_ctrl_d_quits_on_an_empty_line_and_escape_never_quits_axo_chat(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app(mode="chat", chat_agent="writer")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ChatScreen)
        chat_input = app.screen.query_one("#chat-input", Input)
        await pilot.press(*"abc", "home", "ctrl+d")  # inside a line: deletes, as before
        assert chat_input.value == "bc"
        await pilot.press("ctrl+a", "ctrl+k", "ctrl+d")
        await wait_until(pilot, lambda: not app.is_running, what="the chat to quit")


async def test_in_the_workbench_ctrl_d_and_ctrl_c_go_back_to_it(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for key in ("ctrl+d", "ctrl+c"):
            await pilot.press("ctrl+t")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
            await pilot.press(key)
            await wait_until(pilot, lambda: isinstance(app.screen, DevScreen), what=key)
        assert app.is_running


# --------------------------------------------------------------------------- plain
class Lines:
    """A stream's lines as they come, read by a thread."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append(line)

    def finish(self) -> None:
        """Wait for the end of the stream (the process is gone), before its pipe is closed."""
        self._thread.join(10)

    def wait_for(self, needle: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(needle in line for line in self.lines):
            assert time.monotonic() < deadline, f"{needle!r} never came: {self.lines}"
            time.sleep(0.02)


def test_plain_chat_ctrl_c_stops_the_answer_then_quits(
    held_project: Path, fake: FakeOpenAI
) -> None:
    env = clean_env(NO_COLOR="1", AXO_DATA_DIR=str(held_project.parent / ".axo"))
    with subprocess.Popen(  # `with` closes the pipes too
        [*axo_command(), "chat", "-a", "a", "--plain", "-p", str(held_project)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        errors = Lines(process.stderr)
        try:
            assert process.stdin is not None
            process.stdin.write("hello\n")
            process.stdin.flush()
            signal_mid_call(process, fake, TAG, "a", signal.SIGINT, output=lambda: errors.lines)
            errors.wait_for("stopped · Ctrl+C again quits")
            assert process.poll() is None  # the chat goes on
            process.send_signal(signal.SIGINT)  # at the prompt: quits, stdin still open
            assert process.wait(timeout=20) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            fake.release(TAG, "a")
            errors.finish()
    assert not any("Traceback" in line or "error:" in line for line in errors.lines), errors.lines
    runs = subprocess.run(
        [*axo_command(), "runs", "list", "--json"],
        cwd=held_project.parent,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    (run,) = json.loads(runs.stdout)
    assert (run["kind"], run["status"]) == ("chat", "cancelled")
