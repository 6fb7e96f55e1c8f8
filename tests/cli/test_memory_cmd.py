"""`axo memory show|sessions|search|edit|forget`, driven as a user would."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from axo_tui.cli.app import app

AXO = Path(sys.executable).with_name("axo")

PROJECT = """
name: memo
agents:
  - id: pal
    provider: scripted
    memory:
      core:
        blocks:
          - { label: human, limit: 60, description: What you know about the user. }
          - { label: team, limit: 200, shared: true }
providers:
  scripted:
    replies:
      pal:
        - text: ""
          tool_calls: [{ name: core_memory_append, arguments: { block: human, text: "Name: Ada" } }]
        - "Nice to meet you."
        - "Noted."
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "axo.yaml").write_text(PROJECT)
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


def test_show_after_real_turns_in_other_processes(project: Path) -> None:
    # (Each process starts the scripted reply list over, so one turn per process here.)
    first = axo(project, "run", "pal", "-i", "Hi, I'm Ada. My cat is called Miso.", "-s", "intro")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Nice to meet you."
    shown = axo(project, "memory", "show", "pal")
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "human (9/60)" in text and "    Name: Ada" in text
    assert "team (0/200 shared)" in text
    assert "activity log: 1 days" in text
    assert "intro  4 messages" in text  # tier 1: the session, resumable by name
    document = json.loads(invoke(project, "memory", "show", "pal", "--json").stdout)
    assert document["core"][0]["value"] == "Name: Ada"
    assert document["recall"]["own"] + document["recall"]["queued"] == 1
    assert document["activity_days"] == [dt.date.today().isoformat()]
    found = invoke(project, "memory", "search", "pal", "what pet does the user have?", "-k", "1")
    assert found.exit_code == 0, found.output
    assert "user: Hi, I'm Ada. My cat is called Miso." in found.stdout
    listed = invoke(project, "memory", "sessions", "pal", "--json")
    (session,) = json.loads(listed.stdout)
    assert session["id"].endswith("intro") and session["messages"] == 4


def test_edit_with_a_value_and_with_the_editor(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = invoke(project, "memory", "edit", "pal", "team", "--value", "Deploy on Fridays.")
    assert done.exit_code == 0, done.output
    assert "pal/team: 18/200 characters saved" in done.stdout
    shared = json.loads((project / ".axo" / "memory" / "core" / "shared.json").read_text())
    assert shared["blocks"]["team"]["value"] == "Deploy on Fridays."

    editor = project / "fake-editor.sh"
    editor.write_text('#!/bin/sh\nprintf "Name: Ada Lovelace\\n" > "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.setenv("VISUAL", str(editor))
    edited = invoke(project, "memory", "edit", "pal", "human")
    assert edited.exit_code == 0, edited.output
    document = json.loads(invoke(project, "memory", "show", "pal", "--json").stdout)
    assert document["core"][0]["value"] == "Name: Ada Lovelace"


def test_edit_refuses_over_the_limit_and_unknown_names(project: Path) -> None:
    too_long = invoke(project, "memory", "edit", "pal", "human", "--value", "x" * 61)
    assert too_long.exit_code == 1
    assert "block 'human' would hold 61 of 60 characters" in too_long.stderr
    unknown_block = invoke(project, "memory", "edit", "pal", "humans", "--value", "x")
    assert unknown_block.exit_code == 1
    assert "the blocks are: human, team" in unknown_block.stderr
    unknown_agent = invoke(project, "memory", "show", "nobody")
    assert unknown_agent.exit_code == 1 and "the agents are: pal" in unknown_agent.stderr


def test_forget_clears_logs_and_recall_and_optionally_core(project: Path) -> None:
    assert axo(project, "run", "pal", "-i", "Hi, I'm Ada.").returncode == 0
    refused = invoke(project, "memory", "forget", "pal", input="n\n")
    assert refused.exit_code == 1
    bad = invoke(project, "memory", "forget", "pal", "--before", "last week", "--yes")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr
    kept = invoke(project, "memory", "forget", "pal", "--before", "2000-01-01", "--yes")
    assert "forgot 0 recall memories and 0 days" in kept.stdout
    gone = invoke(project, "memory", "forget", "pal", "--core", "--yes")
    assert gone.exit_code == 0, gone.output
    assert "forgot 1 recall memories and 1 days of activity log, reset core blocks" in gone.stdout
    document = json.loads(invoke(project, "memory", "show", "pal", "--json").stdout)
    assert document["core"][0]["value"] == ""
    assert document["activity_days"] == []
    assert document["recall"] == {"own": 0, "shared": 0, "queued": 0}
