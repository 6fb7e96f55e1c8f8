"""Skills, named signals and proactive agents really route through the pheromone lattice."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from axo_tui.core.config.schema import (
    LatticeSettings,
    ProactiveConfig,
    ProactiveTrigger,
    SkillConfig,
    TriggerType,
)
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.lattice import PheromoneField
from tests.support.builders import agent, make_config, scripted, step, until


def review_config(tmp_path: Path, **extra):  # type: ignore[no-untyped-def]
    return make_config(
        tmp_path,
        [agent("dev"), agent("reviewer"), agent("writer")],
        skills=[
            SkillConfig("code", emits=("CodeReady",), agents=("dev",), prompt="Write code."),
            SkillConfig(
                "review",
                emits=("ReviewComplete",),
                reacts_to=("CodeReady",),
                agents=("reviewer",),
                prompt="Review this code.",
            ),
            SkillConfig(
                "notes", reacts_to=("ReviewComplete",), agents=("writer",), prompt="Write notes."
            ),
        ],
        providers=[
            scripted({"dev": ["def f(): pass"], "reviewer": ["LGTM"], "writer": ["Notes: {input}"]})
        ],
        **extra,
    )


async def test_firing_a_skill_cascades_through_reacting_skills(tmp_path: Path) -> None:
    async with build_runtime(review_config(tmp_path)) as rt:
        sub = rt.bus.subscribe()
        result = await rt.fire_skill("code", "add f")
        events = sub.drain()
    assert result.status == "completed"
    activated = [
        (e.agent_id, e.to_dict()["trigger"]) for e in events if e.kind == "agent.activated"
    ]
    assert activated == [
        ("dev", "skill:code"),
        ("reviewer", "skill:review"),
        ("writer", "skill:notes"),
    ]
    # The reacting agent gets its own skill's prompt and the emitter's output as input.
    reviewer_input = next(
        e.to_dict()["input"]
        for e in events
        if e.kind == "agent.activated" and e.agent_id == "reviewer"
    )
    assert reviewer_input == "def f(): pass"
    assert result.output == "Notes: Write notes.\n\nLGTM"
    signals = [e.to_dict() for e in events if e.kind == "lattice.signal"]
    assert [(s["agent_id"], s["signal"], s["fired"]) for s in signals] == [
        ("reviewer", "CodeReady", True),
        ("writer", "ReviewComplete", True),
    ]


async def test_emitting_a_custom_signal_activates_its_listeners(tmp_path: Path) -> None:
    async with build_runtime(review_config(tmp_path)) as rt:
        result = await rt.emit_signal("ReviewComplete", "all good")
    assert result.outputs == {"writer": "Notes: Write notes.\n\nall good"}


async def test_a_signal_with_no_listeners_completes_empty(tmp_path: Path) -> None:
    async with build_runtime(review_config(tmp_path)) as rt:
        result = await rt.emit_signal("Nobody", "x")
    assert result.status == "completed" and result.activations == 0


async def test_weak_signals_accumulate_until_the_threshold(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("watcher")],
        skills=[SkillConfig("watch", reacts_to=("ToolResult",), agents=("watcher",))],
    )
    async with build_runtime(config) as rt:
        first = await rt.emit_signal("ToolResult", "1")
        # Signals are run-scoped: a second run starts from zero, so it does not fire either.
        second = await rt.emit_signal("ToolResult", "2")
    assert first.activations == 0 and second.activations == 0


async def test_per_agent_threshold_override(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("watcher", lattice=LatticeSettings(threshold=0.3))],
        skills=[SkillConfig("watch", reacts_to=("ToolResult",), agents=("watcher",))],
    )
    async with build_runtime(config) as rt:
        result = await rt.emit_signal("ToolResult", "1")
    assert result.activations == 1


async def test_ping_pong_skills_are_bounded_by_the_run_guard(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("ping"), agent("pong")],
        skills=[
            SkillConfig("ping", emits=("Ping",), reacts_to=("Pong",), agents=("ping",)),
            SkillConfig("pong", emits=("Pong",), reacts_to=("Ping",), agents=("pong",)),
        ],
    )
    async with build_runtime(config) as rt:
        result = await asyncio.wait_for(rt.fire_skill("ping", "go"), timeout=30)
    assert result.activations == 32
    assert result.status == "failed"
    assert "refused" in next(iter(result.errors.values()))


async def test_the_emit_event_tool_routes_inside_the_run(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("ops", tools=("emit_event",)), agent("pager")],
        skills=[
            SkillConfig("deploy", agents=("ops",)),
            SkillConfig("page", reacts_to=("DeployFailed",), agents=("pager",), prompt="Page."),
        ],
        providers=[
            scripted(
                {
                    "ops": [
                        step("", ("emit_event", {"name": "DeployFailed", "payload": "db"})),
                        "done",
                    ],
                    "pager": ["paged about {input}"],
                }
            )
        ],
    )
    async with build_runtime(config) as rt:
        result = await rt.fire_skill("deploy", "ship it")
    assert result.outputs["pager"] == "paged about Page.\n\ndb"


async def test_proactive_on_event_fires_with_a_cooldown(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("ops"), agent("flaky", provider="nowhere")],
        proactive=(
            ProactiveConfig(
                "failure-watch",
                agent="ops",
                trigger=ProactiveTrigger(
                    TriggerType.ON_EVENT, event="AgentFailed", cooldown_secs=60
                ),
                input="Diagnose.",
            ),
        ),
        providers=[scripted({"ops": ["diagnosed"]})],
    )
    # AgentFailed weighs 0.8: lower the watcher's threshold so one failure is enough.
    config = make_config(
        tmp_path,
        [agent("ops", lattice=LatticeSettings(threshold=0.8)), agent("flaky", provider="nowhere")],
        proactive=config.proactive,
        providers=config.providers,
    )
    async with build_runtime(config) as rt:
        await rt.run_agent("flaky", "x")
        await rt.wait_idle(timeout=10)
        await rt.run_agent("flaky", "x")  # inside the cooldown: no second reaction
        await rt.wait_idle(timeout=10)
        runs = [r for r in rt.journal.list_runs() if r.kind == "proactive"]
    assert len(runs) == 1
    assert runs[0].target == "ops" and runs[0].output == "diagnosed"
    assert "Event AgentFailed: flaky:" in runs[0].input


async def test_schedules_start_runs_on_their_interval(tmp_path: Path) -> None:
    from axo_tui.core.config.schema import ScheduleConfig, WorkflowConfig

    config = make_config(
        tmp_path,
        [agent("a")],
        workflows=[WorkflowConfig("w", ("a",))],
        schedules=(ScheduleConfig("tick", workflow="w", every="50ms", every_secs=0.05, input="t"),),
    )
    async with build_runtime(config, background=True) as rt:
        # Three runs, on a condition: a loaded machine stretches the interval, never skips it.
        await until(lambda: len(rt.journal.list_runs()) >= 3, timeout=60)
        runs = rt.journal.list_runs()
    assert all(r.kind == "workflow" and r.target == "w" for r in runs)


def test_pheromone_decay_is_exponential_and_fire_resets() -> None:
    now = [0.0]
    field = PheromoneField(threshold=1.0, decay=0.5, clock=lambda: now[0])
    (deposit,) = field.deposit("AgentFailed", ["a"])
    assert deposit.intensity == 0.8 and not deposit.fired
    now[0] = 2.0
    assert math.isclose(field.intensity("a"), 0.8 * math.exp(-1.0))
    (deposit,) = field.deposit("AgentFailed", ["a"])
    assert deposit.fired and math.isclose(deposit.intensity, 0.8 * math.exp(-1.0) + 0.8)
    assert field.intensity("a") == 0.0
    now[0] = 100.0
    (deposit,) = field.deposit("AgentFailed", ["a"])
    assert not deposit.fired  # the old signal has decayed away


def test_pheromone_scopes_do_not_leak() -> None:
    field = PheromoneField(threshold=1.0, decay=0.0, clock=lambda: 0.0)
    field.deposit("TaskCompleted", ["a"], scope="run-1")
    (other,) = field.deposit("TaskCompleted", ["a"], scope="run-2")
    assert other.intensity == 0.5 and not other.fired
    (same,) = field.deposit("TaskCompleted", ["a"], scope="run-1")
    assert same.fired
    field.drop_scope("run-2")
    assert field.intensity("a", "run-2") == 0.0


async def test_event_kind_names_alias_the_system_signals(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("ops", lattice=LatticeSettings(threshold=0.8)), agent("flaky", provider="nowhere")],
        proactive=(
            ProactiveConfig(
                "watch",
                agent="ops",
                trigger=ProactiveTrigger(TriggerType.ON_EVENT, event="agent.failed"),
            ),
        ),
    )
    async with build_runtime(config) as rt:
        await rt.run_agent("flaky", "x")
        await rt.wait_idle(timeout=10)
        runs = [r for r in rt.journal.list_runs() if r.kind == "proactive"]
    assert len(runs) == 1
