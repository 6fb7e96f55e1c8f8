"""Fixtures for the workbench tests: small offline projects (scripted provider) in tmp dirs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from axo_tui.core.config import load_config
from axo_tui.tui.app import AxoApp, build_app
from axo_tui.tui.settings import WorkbenchSettings, frozen_clock

DIAMOND_YAML = """\
name: diamond
agents:
  - id: planner
    provider: scripted
    token_budget: {per_execution: 2000}
  - id: researcher
    provider: scripted
    depends_on: [planner]
    token_budget: {per_execution: 2000}
  - id: critic
    provider: scripted
    depends_on: [planner]
    token_budget: {per_execution: 2000}
  - id: writer
    provider: scripted
    depends_on: [researcher, critic]
    token_budget: {per_execution: 3000}
  - id: helper
    provider: scripted
    tools: [calculator]
workflows:
  - id: research
    agents: [planner, researcher, critic, writer]
skills:
  - id: review
    reacts_to: [DraftReady]
    agents: [critic]
    prompt: Review the draft.
providers:
  scripted:
    replies:
      # Fixed usage: the screenshots must not change when the engine's prompts do.
      planner: [{text: "Plan: look at {input} from two sides.", usage: {prompt: 300, completion: 40}}]
      researcher: [{text: "Facts about the plan, one per line.", usage: {prompt: 420, completion: 60}}]
      critic: [{text: "Risks: none worth a delay.", usage: {prompt: 410, completion: 30}}]
      writer: [{text: "FINAL ANSWER: light becomes sugar.", usage: {prompt: 900, completion: 80}}]
      helper:
        - text: "Let me compute that."
          tool_calls: [{name: calculator, arguments: {expression: "6*7"}}]
        - "The answer is **{last_tool_result}**."
"""


SLOW_YAML = """\
name: slow
agents:
  - id: slow
    provider: scripted
    tools: [wait]
  - id: after
    provider: scripted
    depends_on: [slow]
workflows:
  - id: chain
    agents: [slow, after]
providers:
  scripted:
    replies:
      slow:
        - text: "Waiting on the world."
          tool_calls: [{name: wait, arguments: {}}]
          usage: {prompt: 300, completion: 20}
        - "never reached"
"""


MEMORY_YAML = """\
name: memory
agents:
  - id: scout
    provider: scripted
    memory:
      core:
        blocks:
          - {label: persona, limit: 200, value: A careful scout., description: Who you are}
          - {label: team, limit: 100, shared: true, description: Team conventions}
  - id: keeper
    provider: scripted
    memory:
      core:
        blocks:
          - {label: notes, limit: 50}
          - {label: team, limit: 100, shared: true, description: Team conventions}
  - id: plain
    provider: scripted
    memory:
      core:
        blocks: []
providers:
  scripted:
    replies:
      scout:
        - text: "Let me look back."
          tool_calls: [{name: recall_timeframe, arguments: {date: "TODAY"}}]
        - "Done."
        - text: "Noted."
          tool_calls: [{name: core_memory_append, arguments: {block: team, text: "Ship on Fridays."}}]
        - "Kept."
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A diamond workflow project; returns the config file."""
    config = tmp_path / "axo.yaml"
    config.write_text(DIAMOND_YAML, encoding="utf-8")
    return config


@pytest.fixture
def still_settings() -> WorkbenchSettings:
    """No clocks, no animation, no file watching: deterministic screens."""
    return WorkbenchSettings(
        show_times=False,
        animate=False,
        watch_config=False,
        notify_runs=False,
        clock=frozen_clock(),
    )


@pytest.fixture
def make_app(project: Path) -> Callable[..., AxoApp]:
    def make(
        config_path: Path | None = None, settings: WorkbenchSettings | None = None, **kwargs: object
    ) -> AxoApp:
        path = config_path or project
        if "config" not in kwargs:
            # `wait` is the tests' own tool (helpers.add_wait_tool), registered after the build.
            kwargs["config"] = load_config(path, extra_tools=("wait",))
        return build_app(
            path,
            data_dir=path.parent / ".axo",
            settings=settings or WorkbenchSettings(show_times=False, watch_config=False),
            **kwargs,  # type: ignore[arg-type]
        )

    return make


@pytest.fixture
def slow_project(tmp_path: Path) -> Path:
    config = tmp_path / "slow" / "axo.yaml"
    config.parent.mkdir()
    config.write_text(SLOW_YAML, encoding="utf-8")
    return config


@pytest.fixture
def memory_project(tmp_path: Path) -> Path:
    config = tmp_path / "memory" / "axo.yaml"
    config.parent.mkdir()
    today = dt.date.today().isoformat()
    config.write_text(MEMORY_YAML.replace("TODAY", today), encoding="utf-8")
    return config
