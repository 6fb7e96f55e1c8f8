"""Folding runtime events into what the workbench shows."""

from __future__ import annotations

from pathlib import Path

from axo_tui.core.config.schema import AgentConfig, Config, TokenBudget, WorkflowConfig
from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import (
    AgentActivated,
    AgentCompleted,
    AgentFailed,
    Event,
    RunCompleted,
    RunStarted,
    TokenStreamed,
    ToolCalled,
    UsageRecorded,
)
from axo_tui.tui.model import LogFilter, WorkbenchModel

CONFIG = Config(
    path=Path("/nowhere/axo.yaml"),
    agents=(
        AgentConfig("a", provider="scripted", token_budget=TokenBudget(per_execution=100)),
        AgentConfig("b", provider="scripted", depends_on=("a",)),
    ),
    workflows=(WorkflowConfig("flow", ("a", "b")),),
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def events(bus: EventBus) -> list[Event]:
    emit = bus.emit
    return [
        emit(RunStarted, run_id="r1", run_kind="workflow", target="flow", input="go"),
        emit(
            AgentActivated, run_id="r1", agent_id="a", activation_id="x1", trigger="w", input="go"
        ),
        emit(TokenStreamed, run_id="r1", agent_id="a", activation_id="x1", text="line one\nline "),
        emit(TokenStreamed, run_id="r1", agent_id="a", activation_id="x1", text="two"),
        emit(
            ToolCalled,
            run_id="r1",
            agent_id="a",
            activation_id="x1",
            call_id="c",
            tool="now",
            arguments={"tz": "UTC"},
        ),
        emit(
            UsageRecorded,
            run_id="r1",
            agent_id="a",
            provider="p",
            model="m",
            prompt_tokens=30,
            completion_tokens=12,
            cost_usd=0.5,
        ),
        emit(
            AgentCompleted,
            run_id="r1",
            agent_id="a",
            activation_id="x1",
            output="line one\nline two",
            prompt_tokens=30,
            completion_tokens=12,
        ),
        emit(AgentActivated, run_id="r1", agent_id="b", activation_id="x2", trigger="w", input=""),
        emit(AgentFailed, run_id="r1", agent_id="b", activation_id="x2", error="boom"),
        emit(RunCompleted, run_id="r1", status="failed", output="", failed=("b",), error="b: boom"),
    ]


def test_a_run_folds_into_phases_tokens_and_log_lines() -> None:
    model = WorkbenchModel(CONFIG, clock=Clock())
    model.apply(events(EventBus()))
    a, b = model.agents["a"], model.agents["b"]
    assert (a.phase, b.phase) == ("done", "failed")
    assert a.exec_tokens == 42 and a.total_tokens == 42 and list(a.history) == [42]
    assert a.budget == 100
    assert b.last_error == "boom"
    assert model.total_tokens == 42 and model.total_cost == 0.5
    assert model.runs["r1"].status == "failed" and model.runs["r1"].label == "#1"
    texts = [(line.agent_id, line.text) for line in model.log.since(0)]
    assert ("a", "line one") in texts
    # Text streamed before a tool call lands before the tool line, in the order it happened.
    assert texts.index(("a", "line two")) < texts.index(("a", '▸ tool now {"tz": "UTC"}'))
    assert ("b", "✗ error: boom") in texts
    assert not model.streams  # finished activations leave no half lines behind


def test_log_filter_by_agent_keeps_run_lines_and_by_run_drops_other_runs() -> None:
    model = WorkbenchModel(CONFIG, clock=Clock())
    model.apply(events(EventBus()))
    lines = list(model.log.since(0))
    only_a = [line for line in lines if LogFilter(agent_id="a").matches(line)]
    assert {line.agent_id for line in only_a} == {"a", None}
    assert not [line for line in lines if LogFilter(run_id="other").matches(line)]


def test_pulse_decays_exponentially_to_zero() -> None:
    clock = Clock()
    model = WorkbenchModel(CONFIG, clock=clock)
    bus = EventBus()
    model.apply(
        [
            bus.emit(
                AgentActivated, run_id="r", agent_id="a", activation_id="x", trigger="t", input=""
            )
        ]
    )
    assert model.pulse("a") == 1.0
    clock.now += 1.0
    assert 0.3 < model.pulse("a") < 0.6
    clock.now += 10.0
    assert model.pulse("a") == 0.0 and not model.any_pulse()


def test_a_reload_keeps_stats_of_agents_that_stay() -> None:
    model = WorkbenchModel(CONFIG, clock=Clock())
    model.apply(events(EventBus()))
    smaller = Config(path=CONFIG.path, agents=(CONFIG.agents[0], AgentConfig("c")))
    model.sync_config(smaller)
    assert list(model.agents) == ["a", "c"]
    assert model.agents["a"].total_tokens == 42


def test_running_runs_are_tracked_as_they_start_and_finish() -> None:
    bus = EventBus()
    model = WorkbenchModel(CONFIG)
    model.apply(
        [
            bus.emit(RunStarted, run_id="r1", run_kind="workflow", target="flow", input=""),
            bus.emit(RunStarted, run_id="r2", run_kind="agent", target="a", input=""),
            bus.emit(RunStarted, run_id="r3", run_kind="agent", target="b", input=""),
            bus.emit(RunCompleted, run_id="r2", status="failed", output="", error="boom"),
        ]
    )
    assert model.active_run_ids() == ["r1", "r3"]
    model.apply([bus.emit(RunCompleted, run_id="r1", status="completed", output="")])
    assert model.active_run_ids() == ["r3"]
    assert [run.status for run in model.runs.values()] == ["completed", "failed", "running"]
