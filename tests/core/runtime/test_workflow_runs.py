"""Workflow semantics the reference implementation got wrong: pinned down here."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from axo_tui.core.config.schema import UpstreamFailurePolicy, WorkflowConfig
from axo_tui.core.events.catalog import AgentActivated, AgentCompleted, Event
from axo_tui.core.runtime.build import build_runtime
from tests.support.builders import agent, make_config, scripted, step


def kinds(events: list[Event], kind: str) -> list[str]:
    return [e.agent_id or "" for e in events if e.kind == kind]


async def test_linear_chain_cascades_in_order_one_activation_each(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("a"), agent("b", "a"), agent("c", "b"), agent("d", "c")],
        workflows=[WorkflowConfig("chain", ("a", "b", "c", "d"))],
        providers=[scripted({x: [f"out-{x}"] for x in "abcd"})],
    )
    async with build_runtime(config) as rt:
        sub = rt.bus.subscribe()
        result = await rt.run_workflow("chain", "go")
        events = sub.drain()
    assert result.status == "completed"
    assert result.output == "out-d"
    assert kinds(events, AgentActivated.kind) == ["a", "b", "c", "d"]
    # Each agent is activated only after its dependency completed in this run.
    order = [
        (e.kind, e.agent_id) for e in events if e.kind in ("agent.activated", "agent.completed")
    ]
    assert order == [
        ("agent.activated", "a"),
        ("agent.completed", "a"),
        ("agent.activated", "b"),
        ("agent.completed", "b"),
        ("agent.activated", "c"),
        ("agent.completed", "c"),
        ("agent.activated", "d"),
        ("agent.completed", "d"),
    ]


async def test_diamond_joins_once_with_both_upstream_outputs_as_context(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("top"), agent("left", "top"), agent("right", "top"), agent("join", "left", "right")],
        workflows=[WorkflowConfig("diamond", ("top", "left", "right", "join"))],
        providers=[
            scripted({"top": ["T"], "left": ["L"], "right": ["R"], "join": ["joined: {input}"]})
        ],
    )
    async with build_runtime(config) as rt:
        sub = rt.bus.subscribe()
        result = await rt.run_workflow("diamond", "question")
        events = sub.drain()
    assert kinds(events, AgentActivated.kind).count("join") == 1
    join_completed = events.index(
        next(e for e in events if e.kind == AgentActivated.kind and e.agent_id == "join")
    )
    completed_before = kinds(events[:join_completed], AgentCompleted.kind)
    assert {"left", "right"} <= set(completed_before)
    assert "[left]\nL" in result.output and "[right]\nR" in result.output
    assert result.output.startswith("joined: question")


async def test_concurrent_runs_of_one_workflow_do_not_interfere(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("a"), agent("b", "a"), agent("c", "a"), agent("d", "b", "c")],
        workflows=[WorkflowConfig("w", ("a", "b", "c", "d"))],
    )
    async with build_runtime(config) as rt:
        sub = rt.bus.subscribe()
        results = await asyncio.gather(*(rt.run_workflow("w", f"input-{i}") for i in range(5)))
        events = sub.drain()
    assert [r.status for r in results] == ["completed"] * 5
    for i, result in enumerate(results):
        # The echo provider repeats its input: each run only ever saw its own input.
        assert f"input-{i}" in result.output
        assert all(f"input-{j}" not in result.output for j in range(5) if j != i)
        run_events = [e for e in events if e.run_id == result.run_id]
        assert sorted(kinds(run_events, AgentActivated.kind)) == ["a", "b", "c", "d"]


async def test_upstream_failure_skips_dependents_and_reports_them(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [
            agent("a"),
            agent("b", "a", provider="broken"),
            agent("c", "b"),
            agent("d", "c"),
            agent("e", "a"),
        ],
        workflows=[WorkflowConfig("w", ("a", "b", "c", "d", "e"))],
    )
    async with build_runtime(config) as rt:
        result = await rt.run_workflow("w", "x")
        activations = rt.journal.activations(result.run_id)
    assert result.status == "failed"
    assert result.failed == ("b",)
    assert result.skipped == ("c", "d")
    assert "broken" in result.errors["b"]
    assert "upstream b" in result.errors["c"]
    assert {a.agent_id for a in activations} == {"a", "b", "e"}
    # Sinks that completed still give the run its output.
    assert "[e]" in result.output


async def test_on_upstream_failure_run_still_activates_with_a_note(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [
            agent("a", provider="broken"),
            agent("b", "a", on_upstream_failure=UpstreamFailurePolicy.RUN),
        ],
        workflows=[WorkflowConfig("w", ("a", "b"))],
    )
    async with build_runtime(config) as rt:
        result = await rt.run_workflow("w", "x")
    assert result.failed == ("a",)
    assert result.skipped == ()
    assert "did not complete" in result.outputs["b"]


async def test_several_sinks_give_a_deterministic_output(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("root"), agent("s2", "root"), agent("s1", "root")],
        workflows=[WorkflowConfig("w", ("root", "s2", "s1"))],
        providers=[scripted({"root": ["r"], "s1": ["one"], "s2": ["two"]})],
    )
    outputs = set()
    for _ in range(3):
        async with build_runtime(config) as rt:
            outputs.add((await rt.run_workflow("w", "x")).output)
    assert outputs == {"## s2\ntwo\n\n## s1\none"}


async def test_run_is_journaled_with_activations_and_usage(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("a"), agent("b", "a")],
        workflows=[WorkflowConfig("w", ("a", "b"))],
    )
    async with build_runtime(config) as rt:
        result = await rt.run_workflow("w", "x")
        run = rt.journal.get_run(result.run_id)
        usage = rt.journal.usage_report(group_by="agent", run_id=result.run_id)
        events = rt.journal.events(run_id=result.run_id)
    assert run is not None and run.status == "completed" and run.output == result.output
    assert [row.key for row in usage] == ["a", "b"]
    assert all(row.total_tokens > 0 for row in usage)
    assert result.usage.total == sum(row.total_tokens for row in usage)
    assert events[0]["kind"] == "run.started" and events[-1]["kind"] == "run.completed"
    assert "token.streamed" not in {e["kind"] for e in events}


async def test_journal_survives_a_restart_and_seq_stays_monotonic(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("a")], workflows=[WorkflowConfig("w", ("a",))])
    async with build_runtime(config) as rt:
        first = await rt.run_workflow("w", "x")
        last_seq = rt.bus.last_seq
    async with build_runtime(config) as rt:
        second = await rt.run_workflow("w", "y")
        runs = rt.journal.list_runs()
        seqs = [e["seq"] for e in rt.journal.events()]
    assert {r.id for r in runs} == {first.run_id, second.run_id}
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    assert min(e for e in seqs if e > last_seq) == last_seq + 1


async def test_activation_guard_bounds_a_run(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("a"), agent("b", "a"), agent("c", "b")],
        workflows=[WorkflowConfig("w", ("a", "b", "c"), max_activations=2)],
    )
    async with build_runtime(config) as rt:
        result = await rt.run_workflow("w", "x")
    assert result.activations == 2
    assert result.skipped == ("c",)
    assert "max_activations" in result.errors["c"]


async def test_unknown_workflow_is_a_clear_error(tmp_path: Path) -> None:
    from axo_tui.core.runtime.runtime import RunError

    config = make_config(tmp_path, [agent("a")], workflows=[WorkflowConfig("research", ("a",))])
    async with build_runtime(config) as rt:
        try:
            await rt.run_workflow("reserch", "x")
        except RunError as exc:
            assert "did you mean 'research'" in str(exc)
        else:
            raise AssertionError("expected RunError")


async def test_tool_round_trip_inside_a_workflow(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("calc", tools=("calculator",))],
        workflows=[WorkflowConfig("w", ("calc",))],
        providers=[
            scripted(
                {
                    "calc": [
                        step("", ("calculator", {"expression": "6*7"})),
                        step("The answer is {last_tool_result}."),
                    ]
                }
            )
        ],
    )
    async with build_runtime(config) as rt:
        sub = rt.bus.subscribe()
        result = await rt.run_workflow("w", "what is 6*7?")
        events = sub.drain()
    assert result.output == "The answer is 42."
    tool_results = [e for e in events if e.kind == "tool.result"]
    assert len(tool_results) == 1 and tool_results[0].to_dict()["result"] == "42"


async def test_a_new_state_dir_is_private(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("a")])
    async with build_runtime(config):
        pass
    assert (tmp_path / ".axo").stat().st_mode & 0o777 == 0o700


async def test_a_reused_run_id_is_refused_and_other_runs_go_on(tmp_path: Path) -> None:
    from axo_tui.core.runtime.runtime import RunError

    config = make_config(
        tmp_path, [agent("a"), agent("b", "a")], workflows=[WorkflowConfig("w", ("a", "b"))]
    )
    async with build_runtime(config) as rt:
        first = await rt.run_workflow("w", "x", run_id="mine")
        other = asyncio.ensure_future(rt.run_workflow("w", "y"))
        with pytest.raises(RunError, match="run 'mine' exists already"):
            await rt.run_workflow("w", "z", run_id="mine")
        assert (await other).ok  # its writes were not caught in a failed commit
        assert first.ok
        record = rt.journal.get_run("mine")
        assert record is not None and record.input == "x"
