"""Coordinator passes over the wire (the fake model server): HTN first, the model only for
frontiers, Contract Net awards on the ACL bus, parallel work, budgets and synthesis."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import Runtime
from tests.support.coordinator_project import ScriptedModels, write_project
from tests.support.model_server import ModelServer

METHODS = """\
- task_pattern: "research {topic}"
  preconditions: [{key: online, expected: true}]
  subtasks:
    - {name: "read up on {topic}", parameters: {tools: [read_file]}, task_type: Primitive}
    - {name: "count {topic}", task_type: Compound}
- task_pattern: "research {topic}"
  preconditions: []
  subtasks:
    - {name: "guess about {topic}", task_type: Primitive}
- task_pattern: "count {topic}"
  preconditions: [{key: "done:read up on {topic}", expected: true}]
  subtasks:
    - {name: "tally {topic}", parameters: {tools: [calculator]}, task_type: Primitive}
"""
WORKERS = {"reader": "[read_file]", "counter": "[calculator]"}


@pytest.fixture
async def models() -> AsyncIterator[ScriptedModels]:
    async with ModelServer() as server:
        yield ScriptedModels(server)


def runtime_for(config_path: Path) -> Runtime:
    return build_runtime(load_config(config_path), data_dir=config_path.parent / ".axo")


def events(runtime: Runtime, run_id: str, kind: str) -> list[dict[str, object]]:
    return [
        {"agent_id": e.agent_id, **e.fields}
        for e in runtime.state.events(run_id=run_id, limit=10_000)
        if e.kind == kind
    ]


async def test_htn_with_variables_and_preconditions_needs_no_planning_call(
    models: ScriptedModels, tmp_path: Path
) -> None:
    path = write_project(
        tmp_path, models.server.url, workers=WORKERS, methods=METHODS, htn_state="{online: true}"
    )
    models.queue("lead", "The tides report.")
    async with runtime_for(path) as runtime:
        result = await runtime.run_workflow("team", "Research the tides")
        plan = events(runtime, result.run_id, "coordinator.plan")
    assert result.kind == "coordinator" and result.status == "completed", result.errors
    assert result.output == "The tides report."
    subtasks = json.loads(str(plan[0]["subtasks"]))
    assert [(s["id"], s["name"], s["tools"]) for s in subtasks] == [
        ("s1", "read up on the tides", ["read_file"]),
        ("s2", "tally the tides", ["calculator"]),
    ]
    assert result.outputs == {
        "s1": "reader did: read up on the tides",
        "s2": "counter did: tally the tides",
    }
    # The methods covered the goal: the coordinator's model was asked only to synthesise.
    (synthesis,) = models.sent_to("lead")
    assert "reader did: read up on the tides" in synthesis
    assert "counter did: tally the tides" in synthesis
    assert models.sent_to("reader")[0].count("Your subtask: read up on the tides") == 1


async def test_a_precondition_the_config_leaves_unset_picks_another_method(
    models: ScriptedModels, tmp_path: Path
) -> None:
    path = write_project(tmp_path, models.server.url, workers=WORKERS, methods=METHODS)
    async with runtime_for(path) as runtime:
        result = await runtime.run_workflow("team", "research tides")
    # Only one subtask: a frontier-free plan of one primitive, done by the first declared.
    assert list(result.outputs) == ["s1"]
    assert result.outputs["s1"] == "reader did: guess about tides"


async def test_a_messy_frontier_reply_is_repaired_then_used(
    models: ScriptedModels, tmp_path: Path
) -> None:
    path = write_project(tmp_path, models.server.url, workers=WORKERS)
    models.queue(
        "lead",
        "I'd split it in two, roughly: reading and counting.",
        '<think>they want JSON {oops}</think>Here you go:\n```json\n{"subtasks": ['
        '{"name": "read the logs", "tools": ["read_file"]},'
        '{"name": "count the errors", "tools": ["calculator"]},]}\n```\nHope this helps!',
        "All done.",
    )
    async with runtime_for(path) as runtime:
        result = await runtime.run_workflow("team", "audit the logs")
    assert result.status == "completed", result.errors
    first, repair, synthesis = models.sent_to("lead")
    assert "TASK: audit the logs" in first
    assert "could not be used: it holds no JSON" in repair
    assert "[s2] count the errors (by counter)" in synthesis
    assert models.sent_to("counter") and models.sent_to("reader")


async def test_a_reply_that_never_parses_fails_the_pass_quoting_it(
    models: ScriptedModels, tmp_path: Path
) -> None:
    path = write_project(tmp_path, models.server.url, workers=WORKERS)
    models.queue("lead", "no", "still no", '{"subtasks": ["just one thing"]}')
    async with runtime_for(path) as runtime:
        result = await runtime.run_workflow("team", "audit the logs")
    assert result.status == "failed"
    error = result.errors["lead"]
    assert "after 3 tries" in error and "lists 1 subtasks; give 2 to 5" in error
    assert '«{"subtasks": ["just one thing"]}»' in error
    assert models.sent_to("reader") == [] and models.sent_to("counter") == []


async def test_the_contract_net_conversation_is_journaled_with_the_run(
    models: ScriptedModels, tmp_path: Path
) -> None:
    path = write_project(
        tmp_path,
        models.server.url,
        workers={"reader": "[read_file]", "spare": "[read_file]", "counter": "[calculator]"},
        methods=METHODS,
        htn_state="{online: true}",
    )
    async with runtime_for(path) as runtime:
        result = await runtime.run_workflow("team", "research tides")
        messages = events(runtime, result.run_id, "acl.message")
        auctions = events(runtime, result.run_id, "coordinator.auction")
    first = [m for m in messages if m["conversation_id"] == messages[0]["conversation_id"]]
    said = [(m["performative"], m["sender"], tuple(m["receivers"])) for m in first]  # type: ignore[arg-type]
    assert said[0] == ("cfp", "lead", ("reader", "spare", "counter"))
    assert sorted(said[1:4]) == [
        ("propose", "reader", ("lead",)),
        ("propose", "spare", ("lead",)),
        ("refuse", "counter", ("lead",)),
    ]
    # Equal bids: the worker declared first wins; the other is rejected.
    assert said[4:] == [
        ("accept-proposal", "lead", ("reader",)),
        ("reject-proposal", "lead", ("spare",)),
        ("inform", "reader", ("lead",)),
    ]
    outcome = json.loads(str(auctions[0]["outcome"]))
    assert outcome["winner"] == "reader"
    assert outcome["refusals"] == [{"bidder": "counter", "reason": "lacks the tools: read_file"}]


async def test_a_worker_near_its_budget_loses_to_one_with_headroom(
    models: ScriptedModels, tmp_path: Path
) -> None:
    path = write_project(
        tmp_path,
        models.server.url,
        workers={"tight": "[read_file]", "roomy": "[read_file]", "counter": "[calculator]"},
        worker_extra={"tight": "token_budget: {per_execution: 800}"},
        methods=METHODS,
        htn_state="{online: true}",
    )
    async with runtime_for(path) as runtime:
        result = await runtime.run_workflow("team", "research tides")
        auctions = events(runtime, result.run_id, "coordinator.auction")
    assert result.outputs["s1"] == "roomy did: read up on tides"
    bids = {b["bidder"]: b for b in json.loads(str(auctions[0]["outcome"]))["bids"]}
    assert bids["tight"]["near_budget"] is True and bids["roomy"]["near_budget"] is False
    assert models.sent_to("tight") == []


async def test_the_coordinator_budget_bounds_every_worker_before_any_call(
    models: ScriptedModels, tmp_path: Path
) -> None:
    path = write_project(
        tmp_path,
        models.server.url,
        workers=WORKERS,
        lead_extra="token_budget: {per_execution: 900}",
        methods=METHODS,
        htn_state="{online: true}",
    )
    async with runtime_for(path) as runtime:
        result = await runtime.run_workflow("team", "research tides")
    # 900 tokens shared by two subtasks and the synthesis: 300 each cannot cover a subtask,
    # so every bidder refuses (the ad-hoc worker too) and no provider hears of it.
    assert result.status == "failed"
    assert "every subtask failed" in result.errors["lead"]
    assert "cannot cover" in result.errors["s1"]
    assert models.server.received("/v1/chat/completions") == []


async def test_no_worker_able_to_bid_gets_an_adhoc_worker_on_the_coordinator_model(
    models: ScriptedModels, tmp_path: Path
) -> None:
    path = write_project(tmp_path, models.server.url, workers={"counter": "[calculator]"})
    models.queue("lead", '["read the notes", "add them up"]')
    async with runtime_for(path) as runtime:
        result = await runtime.run_workflow("team", "sum my notes")
        auctions = events(runtime, result.run_id, "coordinator.auction")
    assert result.status == "completed", result.errors
    assert [(a["subtask_id"], a["winner"], a["adhoc"]) for a in auctions] == [
        ("s1", "counter", False),  # no tools needed: the one worker takes it
        ("s2", "counter", False),
    ]
    models.queue("lead", '{"subtasks": [{"name": "read the notes", "tools": ["read_file"]}, "x"]}')
    async with runtime_for(path) as runtime:
        result = await runtime.run_workflow("team", "sum my notes")
        auctions = events(runtime, result.run_id, "coordinator.auction")
    assert [(a["subtask_id"], a["winner"], a["adhoc"]) for a in auctions][:2] == [
        ("s1", None, False),
        ("s1", "lead.adhoc-s1", True),
    ]
    # The ad-hoc worker runs on the coordinator's model, with the tool it needs.
    assert any("Your subtask: read the notes" in text for text in models.sent_to("lead"))


async def test_workers_run_in_parallel(models: ScriptedModels, tmp_path: Path) -> None:
    workers = {"w1": "[]", "w2": "[]", "w3": "[]"}
    path = write_project(tmp_path, models.server.url, workers=workers)
    models.queue("lead", '["part one", "part two", "part three"]', "joined")
    for worker in workers:
        models.delay[worker] = 1.0
    async with runtime_for(path) as runtime:
        started = time.monotonic()
        result = await runtime.run_workflow("team", "do three things")
        took = time.monotonic() - started
    assert result.status == "completed"
    # Load spreads the three subtasks over the three workers; one after the other they
    # would take 3 s or more.
    assert sorted(v.split(" did")[0] for v in result.outputs.values()) == ["w1", "w2", "w3"]
    assert took < 2.5, took


async def test_failed_subtasks_are_told_to_the_synthesis_and_all_failing_fails_the_pass(
    models: ScriptedModels, tmp_path: Path
) -> None:
    path = write_project(
        tmp_path, models.server.url, workers=WORKERS, methods=METHODS, htn_state="{online: true}"
    )
    models.failing.add("counter")
    models.queue("lead", "Half a report.")
    async with runtime_for(path) as runtime:
        result = await runtime.run_workflow("team", "research tides")
    assert result.status == "completed" and result.failed == ("s2",)
    (synthesis,) = models.sent_to("lead")
    assert "[s2] tally tides: FAILED" in synthesis

    models.failing.add("reader")
    async with runtime_for(path) as runtime:
        result = await runtime.run_workflow("team", "research tides")
    assert result.status == "failed"
    assert result.errors["lead"].startswith("every subtask failed: s1 (read up on tides)")
    assert len(models.sent_to("lead")) == 1  # no synthesis of nothing
