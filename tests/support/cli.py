"""Running `axo` as a user would: its environment, its script, and a project to run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

REPO = Path(__file__).resolve().parents[2]

# Variables that change what axo prints; tests start from none of them.
OUTPUT_ENV = ("NO_COLOR", "FORCE_COLOR", "AXO_DEBUG", "AXO_DATA_DIR", "COLUMNS", "TTY_COMPATIBLE")

Invoke = Callable[..., Result]
RunAxo = Callable[..., subprocess.CompletedProcess[str]]


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in OUTPUT_ENV}
    env.update(extra)
    return env


def axo_command() -> list[str]:
    """The installed `axo` script of this interpreter's environment."""
    script = shutil.which("axo", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script]
    return [sys.executable, "-c", "from axo_tui.cli.main import run; run()"]


# The research workflow on the scripted provider: four agents, a tool call, two skills.
RESEARCH = """
name: research
agents:
  - id: planner
    provider: scripted
  - id: researcher
    provider: scripted
    depends_on: [planner]
    tools: [calculator]
  - id: critic
    provider: scripted
    depends_on: [planner]
  - id: writer
    provider: scripted
    depends_on: [researcher, critic]
    token_budget: { per_call: 4000, per_execution: 8000 }
workflows:
  - id: research
    agents: [planner, researcher, critic, writer]
    entry_point: planner
skills:
  - id: review
    agents: [critic]
    emits: [Reviewed]
    prompt: Review this.
  - id: publish
    agents: [writer]
    reacts_to: [Reviewed]
    prompt: Publish the review.
providers:
  scripted:
    replies:
      planner: ["Plan: look it up."]
      researcher:
        - text: ""
          tool_calls: [{ name: calculator, arguments: { expression: "6*7" } }]
        - "Found {last_tool_result}."
      critic: ["Looks right."]
      writer: ["Final answer."]
"""

# One agent whose shell call waits for approval (the command's escape must print spelled out).
APPROVAL_PROJECT = """\
agents:
  - id: ops
    provider: scripted
    tools: [shell]
providers:
  scripted:
    kind: scripted
    replies:
      ops:
        - tool_calls: [{name: shell, arguments: {command: "df -h . > disk.txt; echo \\e]0;x"}}]
        - done
"""
