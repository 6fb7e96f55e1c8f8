"""The workbench tests' projects, and waiting on and reading the workbench without sleeping blindly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from axo_tui.core.tools import Tool, ToolContext
from axo_tui.tui.app import AxoApp
from axo_tui.tui.model import LogLine
from axo_tui.tui.widgets.event_log import EventLog


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], bool], *, timeout: float = 10.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


async def wait_runs_done(pilot: Pilot[None], app: AxoApp, count: int = 1) -> None:
    """Until `count` runs finished and their last events reached the widgets."""

    def done() -> bool:
        runs = list(app.model.runs.values())
        return len(runs) >= count and all(run.status != "running" for run in runs)

    await wait_until(pilot, done, what=f"{count} finished runs")
    await pilot.pause()


def add_wait_tool(app: AxoApp, entered: list[str]) -> None:
    """A tool that never returns: the run stays in flight until cancelled."""

    async def wait(context: ToolContext, arguments: dict[str, Any]) -> str:
        entered.append(context.agent_id)
        await asyncio.Event().wait()
        return "never"

    tool = Tool("wait", "Wait.", {"type": "object", "properties": {}}, wait, timeout_secs=600)
    app.bridge.runtime.tools.register(tool)


async def start_slow_run(pilot: Any, app: AxoApp, entered: list[str]) -> str:
    await pilot.pause()
    await pilot.press("r", *"go", "enter")
    await wait_until(pilot, lambda: entered == ["slow"], what="the slow tool")
    await pilot.pause()
    (run_id,) = app.model.active_run_ids()
    return run_id


def screen_rows(log: EventLog) -> list[str]:
    """The text of the rows on screen, as the compositor would get them."""
    return [log.render_line(y).text.rstrip() for y in range(log.scrollable_content_region.height)]


def add_lines(app: AxoApp, count: int, *, start: int = 0, agent: str | None = "writer") -> None:
    for index in range(start, start + count):
        app.model.log.append(LogLine(0.0, "token", f"line {index}", agent, "run-1"))
    app.screen.query_one(EventLog).sync()


async def started(pilot: Pilot[None], app: AxoApp) -> EventLog:
    await pilot.pause()
    return app.screen.query_one(EventLog)


def log_text(app: AxoApp) -> str:
    log = app.screen.query_one(EventLog)
    return "\n".join(log.line_text(line).plain for line in log.shown_lines)


# -- projects (scripted provider) ----------------------------------------------------------

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
