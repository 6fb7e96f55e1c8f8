"""`axo dev` as a command: bad configs and missing terminals end in a message, never a
traceback; and the real thing in a real terminal (tmux)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

AXO = [sys.executable, "-c", "from axo_tui.cli.main import run; run()"]


def axo(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AXO, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )


def test_dev_with_a_bad_config_prints_every_problem_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "axo.yaml").write_text(
        "agents:\n  - id: a\n    provider: scripted\n    depends_on: [ghost]\n    colour: red\n",
        encoding="utf-8",
    )
    result = axo("dev", str(tmp_path))
    assert result.returncode == 1
    assert "axo.yaml:4:" in result.stderr and "ghost" in result.stderr
    assert "axo.yaml:5:" in result.stderr and "colour" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_dev_without_a_config_says_where_it_looked(tmp_path: Path) -> None:
    result = axo("dev", str(tmp_path))
    assert result.returncode == 1
    assert "no config file here" in result.stderr and "axo init" in result.stderr
    assert "Traceback" not in result.stderr


def test_dev_needs_a_terminal(project: Path) -> None:
    result = axo("dev", str(project.parent))
    assert result.returncode == 1
    assert "needs an interactive terminal" in result.stderr


# ------------------------------------------------------------------------ tmux smoke
@pytest.fixture
def tmux() -> Iterator[list[str]]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    # A private server (-L): never touches the user's tmux sessions.
    command = ["tmux", "-L", f"axo-test-{os.getpid()}", "-f", "/dev/null"]
    yield command
    subprocess.run([*command, "kill-server"], capture_output=True, check=False)


def capture(tmux: list[str]) -> str:
    result = subprocess.run(
        [*tmux, "capture-pane", "-p", "-t", "axo"], capture_output=True, text=True, check=False
    )
    return result.stdout


def wait_for(tmux: list[str], needle: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(tmux)
        if needle in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never appeared; the screen was:\n{screen}")


def test_axo_dev_in_a_real_terminal(tmux: list[str], project: Path) -> None:
    data_dir = project.parent / ".axo"
    # COLUMNS/LINES (set by pytest) would override the real terminal size in Textual.
    command = shlex.join(
        [
            "env",
            "-u",
            "COLUMNS",
            "-u",
            "LINES",
            f"AXO_DATA_DIR={data_dir}",
            "TERM=xterm-256color",
            *AXO,
        ]
    )
    script = f"{command} dev {shlex.quote(str(project.parent))}; echo AXO-EXIT=$?; sleep 30"
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "axo", "-x", "120", "-y", "40", script], check=True
    )
    screen = wait_for(tmux, "Agents")
    assert "Lattice" in screen and "[planner " in screen and "[writer " in screen
    assert "config ok" in screen
    # The focus starts outside the run bar, and the empty log says how to get there.
    screen = wait_for(tmux, "press Enter to run")
    assert "Press r, type a question" in screen and "workflow `research`" in screen
    subprocess.run([*tmux, "send-keys", "-t", "axo", "r"], check=True)
    wait_for(tmux, "Type a question below")  # the hint follows the focus into the run bar
    subprocess.run([*tmux, "send-keys", "-t", "axo", "sunlight", "Enter"], check=True)
    screen = wait_for(tmux, "run #1 completed")
    assert "FINAL ANSWER: light becomes sugar." in screen
    assert screen.count("done") >= 4
    subprocess.run([*tmux, "send-keys", "-t", "axo", "Escape"], check=True)
    time.sleep(0.3)
    subprocess.run([*tmux, "send-keys", "-t", "axo", "q"], check=True)
    screen = wait_for(tmux, "AXO-EXIT=")
    assert "AXO-EXIT=0" in screen
    assert "Traceback" not in screen
