"""Prometheus metrics from the bus: what a run counts, and names that follow the rules."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from axo_tui.core.config.schema import TokenBudget, WorkflowConfig
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.telemetry.metrics import RuntimeMetrics
from tests.support.builders import agent, make_config, scripted, step

BASE_UNIT_VIOLATIONS = re.compile(r"_(milliseconds|ms|minutes|hours|kilobytes|percent)(_|$)")


def samples(metrics: RuntimeMetrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


async def run_project(tmp_path: Path, metrics: RuntimeMetrics) -> str:
    config = make_config(
        tmp_path,
        [
            agent("researcher", tools=("calculator",)),
            agent("writer", "researcher"),
            agent("greedy", token_budget=TokenBudget(per_call=5)),
        ],
        workflows=[WorkflowConfig(id="w", agents=("researcher", "writer"))],
        providers=[
            scripted(
                {
                    "researcher": [step("", ("calculator", {"expression": "2+2"})), "four"],
                    "writer": ["it is four"],
                    "greedy": ["never sent"],
                }
            )
        ],
    )
    async with build_runtime(config, subscribers=[metrics]) as rt:
        result = await rt.run_workflow("w", "what is 2+2")
        await rt.run_agent("greedy", "a long question " * 20)
    return result.run_id


async def test_a_run_is_counted_by_agent_outcome_model_and_tool(tmp_path: Path) -> None:
    metrics = RuntimeMetrics()
    await run_project(tmp_path, metrics)
    found = samples(metrics)

    def value(name: str, **labels: str) -> float:
        return found.get((name, frozenset(labels.items())), 0.0)

    assert value("axo_activations_total", agent="researcher", outcome="completed") == 1
    assert value("axo_activations_total", agent="writer", outcome="completed") == 1
    assert value("axo_activations_total", agent="greedy", outcome="budget") == 1
    assert value("axo_budget_exceeded_total", agent="greedy", limit="per_call", policy="abort") == 1
    assert value("axo_activation_duration_seconds_count", agent="writer") == 1
    labels = {"agent": "researcher", "provider": "scripted", "model": "scripted"}
    assert value("axo_llm_calls_total", outcome="ok", **labels) == 2
    assert value("axo_llm_call_duration_seconds_count", **labels) == 2
    assert value("axo_llm_tokens_total", agent="writer", model="scripted", direction="input") > 0
    assert value("axo_tool_calls_total", tool="calculator", outcome="ok") == 1
    assert value("axo_runs_total", status="completed") == 1  # the workflow
    assert value("axo_runs_total", status="failed") == 1  # the refused call's run
    assert value("axo_journal_commit_duration_seconds_count") >= 1


async def test_every_name_follows_the_prometheus_conventions(tmp_path: Path) -> None:
    metrics = RuntimeMetrics()
    await run_project(tmp_path, metrics)
    families = list(text_string_to_metric_families(metrics.exposition().decode()))
    assert len(families) >= 20
    for family in families:
        assert re.fullmatch(r"axo_[a-z][a-z0-9_]*", family.name), family.name
        assert not BASE_UNIT_VIOLATIONS.search(family.name), f"{family.name}: use base units"
        assert family.documentation, f"{family.name} has no HELP"
        names = {sample.name for sample in family.samples}
        if family.type == "counter":
            assert all(n.endswith(("_total", "_created")) for n in names), (
                f"counter {family.name}: {names}"
            )
        if family.type == "histogram":
            assert family.name.endswith("_seconds"), f"histogram {family.name} is not in seconds"
        if family.type == "gauge":
            assert not family.name.endswith("_total"), f"gauge {family.name} ends in _total"
