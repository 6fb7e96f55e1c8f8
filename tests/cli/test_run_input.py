"""Where `axo run` and `axo workflow run` get their input, and the progress line.

Real `axo` processes: stdin piped, empty, a file, or a terminal (a pseudo-terminal, typed
into as a user would); and stderr a terminal or a pipe for the progress line.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.support.cli import RESEARCH, axo_command, clean_env
from tests.support.crash_project import write_project
from tests.support.echo_openai import running_fake

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "axo.yaml").write_text(RESEARCH)
    return tmp_path


def axo(project: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*axo_command(), *args],
        cwd=project,
        env=clean_env(NO_COLOR="1"),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def last_input(project: Path) -> str:
    listed = axo(project, "runs", "list", "--json", "-n", "1")
    return str(json.loads(listed.stdout)[0]["input"])


@pytest.mark.parametrize(
    "command", [["workflow", "run", "research"], ["run", "planner"]], ids=["workflow", "agent"]
)
def test_without_i_a_piped_stdin_is_the_input(project: Path, command: list[str]) -> None:
    done = axo(project, *command, stdin="What is 6*7?\n")
    assert done.returncode == 0, done.stderr
    assert last_input(project) == "What is 6*7?"


def test_i_dash_reads_stdin(project: Path) -> None:
    done = axo(project, "workflow", "run", "research", "-i", "-", stdin="line one\nline two\n")
    assert done.returncode == 0, done.stderr
    assert last_input(project) == "line one\nline two"


@pytest.mark.parametrize(
    "command", [["workflow", "run", "research"], ["run", "planner"]], ids=["workflow", "agent"]
)
def test_an_empty_stdin_is_refused_with_a_hint_and_runs_nothing(
    project: Path, command: list[str]
) -> None:
    done = axo(project, *command)
    assert done.returncode == 2
    assert "no input for" in done.stderr and "-i TEXT" in done.stderr
    assert "Traceback" not in done.stderr
    listed = axo(project, "runs", "list", "--json")
    assert listed.returncode == 1 or json.loads(listed.stdout) == []  # no journal, or no run


def test_at_file_reads_an_input_longer_than_an_argument_may_be(project: Path) -> None:
    text = "lorem ipsum " * 20_000  # 240 KB: more than one argument can carry (128 KiB)
    (project / "question.txt").write_text(text)
    done = axo(project, "run", "planner", "-i", "@question.txt")  # planner has no budget
    assert done.returncode == 0, done.stderr
    assert last_input(project) == text


@pytest.mark.parametrize(
    ("setup", "argument", "message"),
    [
        (None, "@missing.txt", "-i @missing.txt: no such file"),
        ("dir", "@notes", "-i @notes: is a directory"),
        ("binary", "@notes", "notes: not UTF-8 text"),
    ],
)
def test_a_bad_input_file_is_named(
    project: Path, setup: str | None, argument: str, message: str
) -> None:
    if setup == "dir":
        (project / "notes").mkdir()
    elif setup == "binary":
        (project / "notes").write_bytes(b"\xff\xfe\x00binary")
    done = axo(project, "workflow", "run", "research", "-i", argument)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_an_unknown_workflow_is_reported_before_any_input_is_asked(project: Path) -> None:
    done = axo(project, "workflow", "run", "reserch")
    assert done.returncode == 1
    assert "did you mean 'research'" in done.stderr


class Terminal:
    """A pseudo-terminal for a child's stdin and stderr; collects what it writes."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        self.text = ""
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return  # EIO: the child and we closed the slave side
            if not chunk:
                return
            with self._lock:
                self.text += chunk.decode("utf-8", errors="replace")

    def wait_for(self, marker: str, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if marker in self.text:
                    return True
            time.sleep(0.02)
        return False

    def close(self) -> str:
        os.close(self.slave)
        self._thread.join(10)
        os.close(self.master)
        return self.text


def test_on_a_terminal_the_input_is_asked_for(project: Path) -> None:
    terminal = Terminal()
    process = subprocess.Popen(
        [*axo_command(), "workflow", "run", "research"],
        cwd=project,
        env=clean_env(NO_COLOR="1"),
        stdin=terminal.slave,
        stdout=subprocess.PIPE,
        stderr=terminal.slave,
        text=True,
    )
    try:
        assert terminal.wait_for("input for workflow research"), terminal.text
        os.write(terminal.master, b"What is 6*7?\n")
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        terminal.close()
    assert process.returncode == 0, terminal.text
    assert "Final answer." in out
    assert last_input(project) == "What is 6*7?"


def run_slowly(project: Path, *args: str, stderr_terminal: bool) -> str:
    """`axo workflow run crash` against a server that takes 0.6 s per reply; returns what
    reached stderr."""
    with running_fake(delay=0.6) as fake:
        write_project(project, fake.base_url("t"))
        terminal = Terminal() if stderr_terminal else None
        done = subprocess.run(
            [*axo_command(), "workflow", "run", "crash", "-i", "q", *args],
            cwd=project,
            env=clean_env(NO_COLOR="1"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal.slave if terminal is not None else subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0
        return terminal.close() if terminal is not None else done.stderr


def test_a_terminal_sees_one_updating_progress_line(tmp_path: Path) -> None:
    shown = run_slowly(tmp_path, stderr_terminal=True)
    frames = shown.split("\r\x1b[2K")
    assert len(frames) > 3, shown
    assert any(
        frame.startswith(("⠋", "⠙", "⠹", "⠸", "⠼", "⠴")) and " · " in frame for frame in frames
    )
    assert any(" a · 0 done" in frame for frame in frames), shown  # the first agent runs
    assert any("4 done" in frame and "tok" in frame for frame in frames), shown
    assert "\n" not in "".join(frames[1:-1]), shown  # one line, rewritten in place
    # Erased at the end: the summary comes after the last erase, no frame is drawn later.
    assert "completed · 5 activation(s)" in frames[-1] and "done ·" not in frames[-1], shown


@pytest.mark.parametrize("args", [[], ["--json"]], ids=["piped", "json-on-a-terminal"])
def test_no_progress_when_piped_or_json(tmp_path: Path, args: list[str]) -> None:
    shown = run_slowly(tmp_path, *args, stderr_terminal=bool(args))
    assert "\x1b[2K" not in shown and " done · " not in shown, shown
