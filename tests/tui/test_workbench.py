"""The main screen, driven like a user would: type in the run bar, watch the cascade."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input

from axo_tui import process_tuning
from axo_tui.tui.app import AxoApp
from axo_tui.tui.screens.chat import ChatScreen
from axo_tui.tui.settings import WorkbenchSettings
from axo_tui.tui.widgets.agents import AgentsTable
from axo_tui.tui.widgets.event_log import EventLog
from axo_tui.tui.widgets.lattice import LatticeView
from axo_tui.tui.widgets.run_bar import RunBar
from tests.support.tui import log_text, wait_runs_done, wait_until


async def test_run_bar_starts_workflow_and_every_agent_completes(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        assert isinstance(app.focused, Input) and app.focused.id == "run-input"
        await pilot.press(*"photosynthesis")
        await pilot.press("enter")
        await wait_runs_done(pilot, app)

        phases = {agent_id: view.phase for agent_id, view in app.model.agents.items()}
        flow = ["planner", "researcher", "critic", "writer"]
        assert phases == {**dict.fromkeys(flow, "done"), "helper": "idle"}
        lattice = app.screen.query_one(LatticeView).render().plain
        for agent_id in phases:
            assert f"[{agent_id} " in lattice
        assert lattice.count("done") == 4 and "idle" in lattice
        assert "▶" in lattice and "┬" in lattice  # the fan-out edge from planner

        text = log_text(app)
        assert "▶ run #1 workflow research: photosynthesis" in text
        assert "planner ◂ Plan: look at photosynthesis from two sides." in text
        assert "■ run #1 completed" in text
        assert "  FINAL ANSWER: light becomes sugar." in text  # the run's output
        # Downstream agents only started after their dependencies finished.
        assert text.index("planner ✓ done") < text.index("researcher ▶ started")
        assert text.index("critic ✓ done") < text.index("writer ▶ started")

        table = app.screen.query_one(AgentsTable)
        # The table redraws at most ten times a second: its last redraw may still be due.
        await wait_until(pilot, lambda: str(table.get_row("writer")[1]) == "done")
        row = table.get_row("writer")
        assert str(row[1]) == "done"
        writer = app.model.agents["writer"]
        assert str(row[2]) == f"{writer.exec_tokens}/3.0k" and writer.exec_tokens > 0
        assert str(row[3]) == "█"  # one activation so far
        assert app.model.total_tokens > 0


async def test_skills_and_signals_run_from_the_run_bar(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(RunBar)
        bar.choose("skill", "review")
        await pilot.press(*"check the draft", "enter")
        await wait_runs_done(pilot, app)
        bar.choose("signal", "DraftReady")
        await pilot.press(*"draft v2", "enter")
        await wait_runs_done(pilot, app, count=2)
        runs = list(app.model.runs.values())
        assert [(r.kind, r.target, r.status) for r in runs] == [
            ("skill", "review", "completed"),
            ("signal", "DraftReady", "completed"),
        ]
        text = log_text(app)
        assert "✦ skill review fired" in text
        assert "◆ signal DraftReady from user: draft v2" in text
        assert text.count("critic ✓ done") == 2  # the critic holds the skill


async def test_clicking_a_node_filters_the_log_to_that_agent(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r", *"go", "enter")
        await wait_runs_done(pilot, app)
        lattice = app.screen.query_one(LatticeView)
        node = lattice._layout.nodes["critic"]
        await pilot.click(LatticeView, offset=(node.x + 2, node.y))
        await pilot.pause()
        log = app.screen.query_one(EventLog)
        assert log.log_filter.agent_id == "critic"
        await pilot.click(LatticeView, offset=(node.x + 2, node.y))  # again: back to all
        await pilot.pause()
        assert log.log_filter.agent_id is None


async def test_keyboard_only_agents_table_filters_and_opens_chat(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one(AgentsTable).focus()
        await pilot.press("down", "enter")  # the second row: researcher
        await pilot.pause()
        assert app.screen.query_one(EventLog).log_filter.agent_id == "researcher"
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen) and app.screen.state.agent_id == "researcher"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("r")  # back in the run bar, ready to type
        assert app.focused is not None and app.focused.id == "run-input"


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_pulses_fade_on_their_own_and_the_animation_then_stops(
    make_app: Callable[..., AxoApp],
) -> None:
    clock = ManualClock()
    app = make_app(settings=WorkbenchSettings(show_times=False, watch_config=False, clock=clock))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r", *"go", "enter")
        await wait_runs_done(pilot, app)
        lattice = app.screen.query_one(LatticeView)
        assert "[writer ●●●●]" in lattice.render().plain
        ticker = lattice._ticker
        assert ticker is not None and ticker._active.is_set()  # animating
        clock.now += 1.5  # λ = 0.8/s: a full pulse is down to ~30%
        await pilot.pause(0.3)
        assert "[writer ●●○○]" in lattice.render().plain
        clock.now += 10
        await pilot.pause(0.3)  # no new events: only the 10 fps timer can redraw
        assert "[writer ○○○○]" in lattice.render().plain
        assert not ticker._active.is_set()  # everything is still: the timer sleeps


async def test_a_failed_agent_shows_red_and_its_dependents_skipped(
    make_app: Callable[..., AxoApp], project: Path
) -> None:
    # A per_call budget far below any prompt: the researcher's call never reaches the provider.
    text = project.read_text().replace(
        "depends_on: [planner]\n    token_budget: {per_execution: 2000}",
        "depends_on: [planner]\n    token_budget: {per_call: 5, per_execution: 2000}",
        1,
    )
    project.write_text(text)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r", *"go", "enter")
        await wait_runs_done(pilot, app)
        phases = {agent_id: view.phase for agent_id, view in app.model.agents.items()}
        assert phases["researcher"] == "failed" and phases["writer"] == "skipped"
        assert phases["critic"] == "done"
        lattice = app.screen.query_one(LatticeView).render().plain
        assert "failed" in lattice and "skipped" in lattice
        lines = list(app.model.log.since(0))
        errors = [line.text for line in lines if line.style == "error"]
        assert any(t.startswith("⚠ budget per_call") for t in errors)
        assert any(t.startswith("✗ budget:") for t in errors)
        assert any(t.startswith("■ run #1 failed") for t in errors)
        skipped = [line.text for line in lines if line.agent_id == "writer"]
        assert skipped == ["⤼ skipped: upstream researcher did not complete"]


async def test_a_run_left_unfinished_by_a_crash_resumes_at_start_up(
    make_app: Callable[..., AxoApp], project: Path
) -> None:
    from axo_tui.core.store.journal import Journal

    # What a killed process leaves behind: a workflow run accepted, nothing finished.
    journal = Journal(project.parent / ".axo" / "axo.db")
    journal.create_run("19a0000000000deadbeef", "workflow", "research", "photosynthesis")
    journal.close()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_runs_done(pilot, app)
        phases = {agent_id: view.phase for agent_id, view in app.model.agents.items()}
        assert phases["writer"] == "done"
        assert "FINAL ANSWER: light becomes sugar." in log_text(app)
    journal = Journal(project.parent / ".axo" / "axo.db")
    record = journal.get_run("19a0000000000deadbeef")
    journal.close()
    assert record is not None and record.status == "completed"


async def test_start_up_objects_are_left_out_of_full_collections_while_it_runs(
    make_app: Callable[..., AxoApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process_tuning, "tuned", True)  # as the `axo` entry point does
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await wait_until(pilot, lambda: gc.get_freeze_count() > 0, what="frozen start-up objects")
    assert gc.get_freeze_count() == 0  # unfrozen on exit: nothing is kept from collection


async def test_an_embedded_workbench_leaves_the_collector_alone(
    make_app: Callable[..., AxoApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []

    def freeze() -> None:
        freeze_startup_objects()
        asked.append(gc.get_freeze_count())

    freeze_startup_objects = process_tuning.freeze_startup_objects
    monkeypatch.setattr(process_tuning, "freeze_startup_objects", freeze)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: asked != [], what="the start-up freeze asked for")
    assert asked == [0]  # not the `axo` process: nothing frozen
