"""The public runtime API: build_runtime's hand-ins, and the queries' typed answers."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from axo_tui.core.config.schema import WorkflowConfig
from axo_tui.core.events.catalog import Event
from axo_tui.core.providers.base import Usage
from axo_tui.core.runtime.agent_turn import TurnOutcome, TurnRequest
from axo_tui.core.runtime.backend import ActivationBackend, BackendServices
from axo_tui.core.runtime.build import build_runtime, open_state
from axo_tui.core.runtime.runtime import RunError
from tests.support.builders import agent, make_config, scripted


class Shouting:
    """A backend of its own: answers in capitals, through the journal the runtime lends."""

    def __init__(self, services: BackendServices) -> None:
        self.services = services

    async def run(self, request: TurnRequest) -> TurnOutcome:
        return TurnOutcome(request.input.upper(), usage=Usage(3, 4))


async def test_a_handed_in_backend_and_subscriber_are_used(tmp_path: Path) -> None:
    config = make_config(
        tmp_path, [agent("a"), agent("b", "a")], workflows=[WorkflowConfig("w", ("a", "b"))]
    )
    seen: list[Event] = []
    backend: list[ActivationBackend] = []

    def shouting(services: BackendServices) -> ActivationBackend:
        backend.append(Shouting(services))
        return backend[0]

    runtime = build_runtime(config, backends={"llm": shouting}, subscribers=[seen.append])
    async with runtime:
        result = await runtime.run_workflow("w", "hi")
        lent = backend[0].services.journal  # type: ignore[attr-defined]
        assert lent.get_run(result.run_id) is not None  # the runtime's own journal
    assert result.status == "completed" and result.outputs["a"] == "HI"
    kinds = [event.kind for event in seen]
    assert kinds[0] == "run.started" and kinds[-1] == "run.completed"
    assert kinds.count("agent.completed") == 2


def test_an_agent_kind_without_a_backend_is_refused_when_built(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("a")])
    with pytest.raises(RunError, match="agent 'a' is of kind 'llm'; backends given: wasm"):
        build_runtime(config, backends={"wasm": Shouting})


async def test_queries_answer_the_same_with_and_without_a_runtime(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("a"), agent("b", "a")],
        workflows=[WorkflowConfig("w", ("a", "b"))],
        providers=[scripted({"a": ["one"], "b": ["two"]})],
    )
    async with build_runtime(config) as runtime:
        result = await runtime.run_workflow("w", "go")
        live = runtime.state
        live_answers = (
            [r.to_dict() for r in live.runs()],
            live.run(result.run_id[:8]).to_dict(),  # type: ignore[union-attr]
            [e.to_dict() for e in live.events()],
            live.usage(group_by="agent").to_dict(),
            live.agent_statuses(config.agents).to_list(),
            [s.to_dict() for s in live.sessions("a")],
        )
    state = open_state(config.state_dir)
    try:
        offline_answers = (
            [r.to_dict() for r in state.runs()],
            state.run(result.run_id[:8]).to_dict(),  # type: ignore[union-attr]
            [e.to_dict() for e in state.events()],
            state.usage(group_by="agent").to_dict(),
            state.agent_statuses(config.agents).to_list(),
            [s.to_dict() for s in state.sessions("a")],
        )
    finally:
        state.close()
    assert offline_answers == live_answers
    runs, detail, events, usage, statuses, sessions = offline_answers
    assert [r["id"] for r in runs] == [result.run_id]
    assert [a["agent_id"] for a in detail["activations"]] == ["a", "b"]
    assert [u["agent"] for u in detail["usage"]] == ["a", "b"]
    assert events[0]["kind"] == "run.started" and events[0]["input"] == "go"
    assert [row["key"] for row in usage["rows"]] == ["a", "b"]
    assert usage["total"]["total_tokens"] == result.usage.total
    assert [(s["id"], s["state"], s["activations"]) for s in statuses] == [
        ("a", "idle", 1),
        ("b", "idle", 1),
    ]
    assert [s["messages"] for s in sessions] == [2]


def test_a_project_with_nothing_recorded_answers_empty(tmp_path: Path) -> None:
    state = open_state(tmp_path / ".axo")
    assert not state.recorded()
    assert state.runs() == [] and state.events() == [] and state.run("x") is None
    assert state.usage(since=dt.date.today().isoformat()).to_dict()["rows"] == []
    assert not (tmp_path / ".axo" / "axo.db").exists()  # reading created nothing
    state.close()


async def test_subscribe_and_watch_hear_the_runs_events(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": ["hello"]})])
    heard: list[str] = []
    async with build_runtime(config) as runtime:
        subscription = runtime.subscribe(kinds=["run.completed"])
        stop = runtime.watch(lambda event: heard.append(event.kind))
        await runtime.run_agent("a", "hi")
        stop()
        await runtime.run_agent("a", "again")
        completed = subscription.drain()
        subscription.close()
    assert heard[0] == "run.started" and heard[-1] == "run.completed"
    assert heard.count("run.started") == 1  # stopped before the second run
    assert [event.kind for event in completed] == ["run.completed", "run.completed"]


def test_forget_memory_clears_the_agents_tiers_and_keeps_the_teams(tmp_path: Path) -> None:
    from axo_tui.core.config.schema import CoreBlockSpec, MemorySettings
    from axo_tui.core.memory.service import AgentMemory

    blocks = (CoreBlockSpec("notes", value="start"),)
    pal = agent("pal", memory=MemorySettings(core_blocks=blocks))
    state_dir = tmp_path / ".axo"
    memory = AgentMemory(state_dir)
    memory.record("pal", "turn", {"input": "hi"})
    memory.record("other", "turn", {"input": "hi"})
    memory.remember_exchange(pal, user="u", reply="r", session_id="s", run_id=None)
    memory.spool.flush()
    state = open_state(state_dir)
    try:
        assert state.edit_memory(pal, "notes", "changed").changed
        assert not state.edit_memory(pal, "notes", "changed").changed
        with pytest.raises(ValueError, match="cannot go with `before`"):
            state.forget_memory(pal, before=dt.date.today(), core=True)
        report = state.forget_memory(pal, core=True)
        assert report.to_dict() == {
            "agent": "pal",
            "recall": 1,
            "activity_days": 1,
            "summaries": 0,
            "core_reset": True,
        }
        view = state.memory_of(pal)
        assert view.recall is not None and view.recall.queued == 0
        assert view.activity_days == () and state.memory_block(pal, "notes") == "start"
        assert AgentMemory(state_dir).log.days("other") != []  # another agent's log stays
    finally:
        state.close()


def test_config_listings_have_the_documented_json_shapes(tmp_path: Path) -> None:
    from axo_tui.core.config.schema import SkillConfig, TokenBudget
    from axo_tui.core.runtime.api import AgentInfo, SkillInfo, WorkflowInfo

    budget = TokenBudget(per_call=10, per_execution=50)
    scout = agent(
        "scout", "lead", name="Scout", model="m1", tools=("recall_search",), token_budget=budget
    )
    assert AgentInfo.of(scout).to_dict() == {
        "id": "scout",
        "name": "Scout",
        "role": "autonomous",
        "provider": "scripted",
        "model": "m1",
        "depends_on": ["lead"],
        "tools": ["recall_search"],
        "per_call": 10,
        "per_execution": 50,
    }
    assert AgentInfo.of(agent("plain")).to_dict()["tools"] == []  # the defaults, unnamed
    skill = SkillConfig("review", name="Review", agents=("scout",), emits=("A",), reacts_to=("B",))
    assert SkillInfo.of(skill).to_dict() == {
        "id": "review",
        "name": "Review",
        "description": "",
        "agents": ["scout"],
        "emits": ["A"],
        "reacts_to": ["B"],
    }
    flow = WorkflowConfig("w", ("lead", "scout"), entry_point="lead", description="d")
    assert WorkflowInfo.of(flow).to_dict() == {
        "id": "w",
        "name": "",
        "description": "d",
        "agents": ["lead", "scout"],
        "entry_point": "lead",
    }


async def test_session_history_leaves_out_the_turn_being_rerun(tmp_path: Path) -> None:
    from axo_tui.core.runtime.resume import InterruptedTurn

    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": ["one", "two"]})])
    async with build_runtime(config) as runtime:
        await runtime.run_agent("a", "first", session_id="s")
        between = time.time()
        await runtime.run_agent("a", "second", session_id="s")
        state = runtime.state
        whole = state.session_history("s")
        rerun = InterruptedTurn("r", "a", "second", since=between)
        trimmed = state.session_history("s", rerun=rerun)
        assert state.session_history("nobody") == []
    assert [(m.role, m.content) for m in whole] == [
        ("user", "first"),
        ("assistant", "one"),
        ("user", "second"),
        ("assistant", "two"),
    ]
    assert trimmed == whole[:2]


def test_recent_recalls_and_a_memory_stamp_that_moves_with_writes(tmp_path: Path) -> None:
    from axo_tui.core.config.schema import CoreBlockSpec, MemorySettings
    from axo_tui.core.memory.service import AgentMemory

    pal = agent("pal", memory=MemorySettings(core_blocks=(CoreBlockSpec("notes", value="x"),)))
    state_dir = tmp_path / ".axo"
    memory = AgentMemory(state_dir)
    call = {"tool": "recall_search", "activation_id": "act1"}
    memory.record("pal", "tool_call", {**call, "arguments": {"query": "tea", "k": 3}})
    memory.record("pal", "tool_result", {**call, "content": "green tea", "ok": True})
    state = open_state(state_dir)
    try:
        assert [block.value for block in state.core_blocks(pal)] == ["x"]
        (recall,) = state.recent_recalls("pal")
        assert (recall.tool, recall.summary, recall.ok) == ("recall_search", '"tea" k=3', True)
        assert recall.result == "green tea"
        assert state.recent_recalls("nobody") == []
        stamp = state.memory_stamp("pal")
        assert state.memory_stamp("pal") == stamp  # nothing written: nothing to reload
        state.edit_memory(pal, "notes", "changed")
        edited = state.memory_stamp("pal")
        assert edited != stamp
        memory.record("pal", "turn", {"input": "hi"})
        assert state.memory_stamp("pal") != edited
    finally:
        state.close()


async def test_collect_garbage_counts_then_deletes_old_runs(tmp_path: Path) -> None:
    from axo_tui.core.store.retention import RetentionPolicy

    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": ["hello"]})])
    with pytest.raises(FileNotFoundError, match=r"axo\.db does not exist"):
        open_state(config.state_dir).collect_garbage(RetentionPolicy())
    async with build_runtime(config) as runtime:
        await runtime.run_agent("a", "hi")
    everything = RetentionPolicy(run_days=0, event_days=0)
    state = open_state(config.state_dir)
    try:
        counted = state.collect_garbage(everything, agent_ids=["a"], dry_run=True)
        assert (counted.dry_run, counted.runs, counted.bytes_after) == (True, 1, None)
        assert len(state.runs()) == 1
        done = state.collect_garbage(everything, agent_ids=["a"])
        assert done.to_dict()["runs"] == 1 and done.bytes_after is not None
        assert state.runs() == []
    finally:
        state.close()
