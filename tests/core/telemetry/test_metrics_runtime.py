"""The metrics issue 23 lists, each observed from a real runtime's events and read back from
the parsed exposition: retries and cost, approvals, lattice levels, bus queue depths, WASM
fuel and traps. (Activations, durations, tokens, tool calls, budget refusals and journal
commits: test_metrics.py; MCP and A2A calls: tests/serve/test_trace_context.py.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from axo_tui.core.acl import AclMessage, Performative
from axo_tui.core.config.schema import (
    AgentConfig,
    AgentKind,
    ProviderConfig,
    ProviderKind,
    SkillConfig,
    WasmSettings,
)
from axo_tui.core.events.signals import signal_weight
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.telemetry.metrics import RuntimeMetrics
from tests.core.wasm import guests
from tests.support.builders import agent, make_config, scripted, step, until
from tests.support.dialects import openai_chat, openai_error
from tests.support.model_server import ModelServer


def value(metrics: RuntimeMetrics, name: str, **labels: str) -> float:
    """A sample as a scraper sees it: parsed from the text exposition (0 when absent)."""
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


async def test_a_retried_priced_call_counts_its_retry_and_cost(tmp_path: Path) -> None:
    metrics = RuntimeMetrics()
    with ModelServer() as server:
        server.reply(
            "/v1/chat/completions",
            openai_error("overloaded", 500),
            openai_chat("gpt-x", ["fine"], prompt=1_000, completion=500),
        )
        paid = ProviderConfig(
            name="paid",
            kind=ProviderKind.OPENAI,
            base_url=f"{server.url}/v1",
            model="gpt-x",
            max_retries=2,
            prices=(("gpt-x", 2.0, 4.0),),  # USD per million tokens in, out
        )
        config = make_config(tmp_path, [agent("writer", provider="paid")], providers=[paid])
        async with build_runtime(config, subscribers=[metrics]) as rt:
            result = await rt.run_agent("writer", "hello")
    assert result.ok, result.errors
    assert value(metrics, "axo_llm_retries_total", agent="writer", provider="paid") == 1
    assert value(metrics, "axo_llm_estimated_cost_usd_total", agent="writer", model="gpt-x") == (
        pytest.approx(1_000 * 2.0 / 1e6 + 500 * 4.0 / 1e6)
    )
    tokens = {
        d: value(metrics, "axo_llm_tokens_total", agent="writer", model="gpt-x", direction=d)
        for d in ("input", "output")
    }
    assert tokens == {"input": 1_000, "output": 500}


async def test_approvals_are_pending_then_decided(tmp_path: Path) -> None:
    metrics = RuntimeMetrics()
    config = make_config(
        tmp_path,
        [agent("ops", tools=("shell",))],
        providers=[scripted({"ops": [step("", ("shell", {"command": "true"})), "done"]})],
    )
    async with build_runtime(config, subscribers=[metrics]) as rt:
        task = asyncio.ensure_future(rt.run_agent("ops", "check"))
        await until(lambda: len(rt.state.pending_approvals()) == 1, timeout=30)
        (approval,) = rt.state.pending_approvals()
        await until(lambda: value(metrics, "axo_approvals_pending") == 1, timeout=30)
        await rt.decide_approval(approval.id, "approve")
        assert (await task).ok
    assert value(metrics, "axo_approvals_pending") == 0
    decided = {"tool": "shell", "decision": "approve", "decided_by": "user"}
    assert value(metrics, "axo_approvals_decided_total", **decided) == 1
    assert value(metrics, "axo_tool_calls_total", tool="shell", outcome="ok") == 1


async def test_lattice_levels_and_bus_queue_depths_are_sampled(tmp_path: Path) -> None:
    metrics = RuntimeMetrics()
    config = make_config(
        tmp_path,
        [agent("watcher"), agent("doer")],
        skills=[
            SkillConfig("watch", reacts_to=("ToolResult",), agents=("watcher",)),
            SkillConfig("do", reacts_to=("Go",), agents=("doer",)),
        ],
        providers=[scripted({"doer": ["done"]})],
    )
    async with build_runtime(config, subscribers=[metrics]) as rt:
        unread = rt.subscribe()  # a viewer that never reads: its queue only grows
        weak = await rt.emit_signal("ToolResult", "one")  # below the watcher's threshold
        fired = await rt.emit_signal("Go", "now")
        threshold = rt.ambient.field.threshold_of("watcher") or 1.0
        waiting = unread.pending()
    assert weak.activations == 0 and fired.activations == 1
    level = value(metrics, "axo_lattice_signal_level", agent="watcher")
    assert level == pytest.approx(signal_weight("ToolResult") / threshold)
    assert 0 < level < 1
    assert value(metrics, "axo_lattice_signal_level", agent="doer") == 0  # it fired: reset
    depth = value(metrics, "axo_bus_queue_depth")
    assert 0 < depth <= waiting  # sampled as the last run ended, before its last events
    assert value(metrics, "axo_bus_queued_events") == depth  # the only subscriber


def wasm_agent(tmp_path: Path, agent_id: str, module: bytes, **limits: int) -> AgentConfig:
    (tmp_path / f"{agent_id}.wasm").write_bytes(module)
    settings = WasmSettings(module=f"{agent_id}.wasm", **limits)
    return agent(agent_id, kind=AgentKind.WASM, wasm=settings)


async def test_wasm_fuel_is_reported_while_running_and_crashes_by_cause(tmp_path: Path) -> None:
    metrics = RuntimeMetrics()
    answer = {"performative": "inform", "receiver": "user", "content": "done"}
    config = make_config(
        tmp_path,
        [
            wasm_agent(tmp_path, "worker", guests.replier(answer)),
            wasm_agent(tmp_path, "crasher", guests.hostile("trap")),
            wasm_agent(tmp_path, "hungry", guests.hostile("loop"), fuel=50_000, timeout_ms=20_000),
            wasm_agent(tmp_path, "slow", guests.hostile("loop"), fuel=10**15, timeout_ms=100),
            wasm_agent(tmp_path, "refuser", guests.hostile("fails")),
        ],
    )
    async with build_runtime(config, subscribers=[metrics]) as rt:
        assert rt.messaging is not None
        replies = {}
        for name in ("worker", "crasher", "hungry", "slow", "refuser"):
            message = AclMessage(Performative.REQUEST, "user", (name,), "go")
            _, reply = await rt.messaging.send(message, wait_secs=60)
            assert reply is not None, name
            replies[name] = reply.performative
        # Reported once a second while the host runs, not only when it stops.
        await until(lambda: value(metrics, "axo_wasm_fuel_consumed_total", agent="worker") > 0, 30)
        await until(lambda: value(metrics, "axo_wasm_fuel_consumed_total", agent="hungry") > 0, 30)
    assert replies == {
        "worker": Performative.INFORM,
        **dict.fromkeys(("crasher", "hungry", "slow", "refuser"), Performative.FAILURE),
    }
    assert value(metrics, "axo_wasm_fuel_consumed_total", agent="hungry") == 50_000
    traps = {
        (name, cause): value(metrics, "axo_wasm_traps_total", agent=name, cause=cause)
        for name in ("crasher", "hungry", "slow", "refuser")
        for cause in ("trap", "fuel", "deadline")
    }
    assert {key for key, count in traps.items() if count} == {
        ("crasher", "trap"),
        ("hungry", "fuel"),
        ("slow", "deadline"),
    }
    assert set(traps.values()) == {0.0, 1.0}
    sent = {
        p: value(metrics, "axo_acl_messages_total", performative=p)
        for p in ("request", "inform", "failure")
    }
    assert sent == {"request": 5, "inform": 1, "failure": 4}
