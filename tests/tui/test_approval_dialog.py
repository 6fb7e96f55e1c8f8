"""A tool call waiting for a human shows as a dialog in `axo dev`: approve once, always for
the agent and tool, or deny; an answer given elsewhere closes it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Static

from axo_tui.tui.app import AxoApp
from axo_tui.tui.bridge import RunRequest
from axo_tui.tui.screens.approval import ApprovalScreen
from axo_tui.tui.screens.dev import DevScreen
from tests.support.tui import wait_until

PROJECT = """\
name: ops
agents:
  - id: ops
    provider: scripted
    tools: [shell]
providers:
  scripted:
    kind: scripted
    replies:
      ops:
        - tool_calls: [{name: shell, arguments: {command: "echo ran >> out.txt # \\e[2J \\u202e"}}]
        - done
"""


@pytest.fixture
def ops_project(tmp_path: Path) -> Path:
    config = tmp_path / "ops" / "axo.yaml"
    config.parent.mkdir()
    config.write_text(PROJECT, encoding="utf-8")
    return config


def ran(project: Path) -> list[str]:
    out = project.parent / "out.txt"
    return out.read_text().splitlines() if out.exists() else []


async def ask(pilot: object, app: AxoApp) -> ApprovalScreen:
    app.bridge.start_run(RunRequest("agent", "ops", "check the disk"))
    await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen), what="the dialog")  # type: ignore[arg-type]
    assert isinstance(app.screen, ApprovalScreen)
    return app.screen


@pytest.mark.parametrize(("key", "expected"), [("a", ["ran"]), ("d", [])])
async def test_the_dialog_shows_the_call_and_sends_the_answer(
    make_app: Callable[..., AxoApp], ops_project: Path, key: str, expected: list[str]
) -> None:
    app = make_app(ops_project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ask(pilot, app)
        what = str(screen.query_one("#approval-what").render())
        assert what == "agent ops wants to run shell"
        shown = str(screen.query_one("#approval-arguments", Static).render())
        assert "echo ran >> out.txt" in shown and "\\u001b[2J" in shown and "\\u202e" in shown
        assert "\x1b" not in shown and "\u202e" not in shown
        assert ran(ops_project) == []
        await pilot.press(key)
        await wait_until(pilot, lambda: all(r.status != "running" for r in app.model.runs.values()))
        await pilot.pause()
        assert isinstance(app.screen, DevScreen)
        (record,) = app.bridge.runtime.state.recent_approvals()
    assert ran(ops_project) == expected
    assert record.status == ("approved" if key == "a" else "denied")
    assert record.decided_by == "user"


async def test_always_remembers_the_agent_and_tool(
    make_app: Callable[..., AxoApp], ops_project: Path
) -> None:
    app = make_app(ops_project)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(pilot, app)
        await pilot.press("A")
        await wait_until(pilot, lambda: ran(ops_project) == ["ran"], what="the tool")
        (rule,) = app.bridge.runtime.state.approval_rules()
    assert (rule.agent_id, rule.tool, rule.decision) == ("ops", "shell", "approve")


async def test_an_answer_from_elsewhere_closes_the_dialog(
    make_app: Callable[..., AxoApp], ops_project: Path
) -> None:
    app = make_app(ops_project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ask(pilot, app)
        await app.bridge.runtime.decide_approval(screen.approval_id, "deny")  # as the API does
        await wait_until(pilot, lambda: isinstance(app.screen, DevScreen), what="closed")
        await pilot.pause()
        assert not isinstance(app.screen, ApprovalScreen)
    assert ran(ops_project) == []
