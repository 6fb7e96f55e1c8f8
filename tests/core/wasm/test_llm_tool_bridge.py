"""The `llm` and `tool` imports of a WASM agent, answered by the runtime: the agent's
provider (a fake OpenAI server on 127.0.0.1) inside its token budget, and the tools it is
granted, with approvals applying. The guest (tests/support/wasm_callers.py) stores what it
got in kv: the return code, the reply, and the reason `last_error` gives for a refusal."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.acl import AclMessage, Performative
from axo_tui.core.base.enums import RunStatus
from axo_tui.core.config.schema import (
    AgentKind,
    ApprovalMode,
    ApprovalSettings,
    ProviderConfig,
    ProviderKind,
    TokenBudget,
    WasmSettings,
    WorkflowConfig,
)
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.wasm.abi import Err
from tests.core.wasm import guests
from tests.core.wasm.guests import _data
from tests.support.builders import agent, make_config
from tests.support.dialects import openai_chat
from tests.support.model_server import ModelServer
from tests.support.wasm_callers import CAP, OUT, ask_guest, asker, llm_asker, tool_asker


@pytest.fixture
async def server() -> AsyncIterator[ModelServer]:
    async with ModelServer() as fake:
        yield fake


def project(tmp_path: Path, server: ModelServer, guest: bytes, **fields: Any) -> Any:
    (tmp_path / "asker.wasm").write_bytes(guest)
    fields.setdefault("provider", "fake")
    fields.setdefault("wasm", WasmSettings(module="asker.wasm"))
    asker_agent = agent("asker", kind=AgentKind.WASM, **fields)
    fake = ProviderConfig(
        name="fake", kind=ProviderKind.OPENAI, base_url=server.url, model="m-1", max_retries=0
    )
    return make_config(tmp_path, [asker_agent], providers=[fake])


async def test_llm_asks_the_agents_provider_and_the_ledger_names_the_agent(
    tmp_path: Path, server: ModelServer
) -> None:
    # The reply trickles in over 0.6 s, far past the 100 ms message deadline: the deadline
    # is suspended while the host waits for the model.
    server.reply(
        "/v1/chat/completions",
        openai_chat("m-1", ["The answer", " is 42."], prompt=11, completion=5, pause=0.6),
    )
    config = project(tmp_path, server, llm_asker("What is six times seven?"))
    async with build_runtime(config) as rt:
        got = await ask_guest(rt)
        ledger = {row.key: row for row in rt.journal.usage_report(group_by="agent")}
    assert got == {"rc": len("The answer is 42."), "out": "The answer is 42.", "err": None}
    sent = server.received("/v1/chat/completions")[0].json()
    assert sent["model"] == "m-1"
    assert sent["messages"][-1] == {"role": "user", "content": "What is six times seven?"}
    assert (ledger["asker"].prompt_tokens, ledger["asker"].completion_tokens) == (11, 5)


async def test_a_wasm_steps_llm_tokens_are_the_runs(tmp_path: Path, server: ModelServer) -> None:
    # A WASM agent that is a step of a workflow spends its tokens within the run: the ledger
    # by run names it, as `axo tokens report --by run` would.
    server.reply("/v1/chat/completions", openai_chat("m-1", ["Sure."], prompt=7, completion=3))
    config = project(tmp_path, server, llm_asker("Plan it.", receiver="workflow"))
    flow = WorkflowConfig(id="flow", agents=("asker",))
    async with build_runtime(dataclasses.replace(config, workflows=(flow,))) as rt:
        result = await rt.run_workflow("flow", "go")
        by_run = {row.key: row for row in rt.journal.usage_report(group_by="run")}
    assert result.status is RunStatus.COMPLETED, result.errors
    row = by_run[result.run_id]
    assert (row.prompt_tokens, row.completion_tokens) == (7, 3)


async def test_fuel_still_bounds_the_guest_after_a_long_llm_call(
    tmp_path: Path, server: ModelServer
) -> None:
    # A deadline far away: what ends the spin after the call is the fuel, which the time
    # spent in the host did not refill.
    server.reply(
        "/v1/chat/completions", openai_chat("m-1", ["ok"], prompt=3, completion=1, pause=0.3)
    )
    limits = WasmSettings(module="asker.wasm", fuel=2_000_000, timeout_ms=60_000)
    config = project(tmp_path, server, llm_asker("hi", spin_after=True), wasm=limits)
    async with build_runtime(config) as rt:
        assert rt.messaging is not None
        _, reply = await rt.messaging.send(
            AclMessage(Performative.REQUEST, "user", ("asker",), "go"), wait_secs=30
        )
    assert reply is not None and reply.performative is Performative.FAILURE
    assert reply.content == {"error": "out of fuel (limit 2000000)"}
    assert len(server.received("/v1/chat/completions")) == 1


async def test_llm_over_budget_is_refused_before_the_call(
    tmp_path: Path, server: ModelServer
) -> None:
    prompt = "Summarise the history of the Roman Empire in great detail. " * 8
    config = project(tmp_path, server, llm_asker(prompt), token_budget=TokenBudget(per_call=20))
    async with build_runtime(config) as rt:
        events = rt.bus.subscribe(kinds=["budget.exceeded"])
        got = await ask_guest(rt)
        refused = (await events.get()).to_dict()
    assert got["rc"] == Err.BUDGET
    assert "per_call budget of 20 tokens would be exceeded" in got["err"]
    assert server.received("/v1/chat/completions") == []  # never reached the provider
    assert refused["agent_id"] == "asker" and refused["policy"] == "abort"


async def test_per_execution_counts_every_llm_call_of_one_message(
    tmp_path: Path, server: ModelServer
) -> None:
    # Each message makes two calls; the first spends 16 of the 20 tokens per execution, so
    # the second is refused. The next message is a new execution: its first call goes out.
    one = f"(call $llm (i32.const 16) (i32.const 2) (i32.const {OUT}) (i32.const {CAP}))"
    guest = asker(f"(block (result i32) (drop {one}) {one})", _data(16, "hi"))
    for _ in range(2):
        server.reply("/v1/chat/completions", openai_chat("m-1", ["ok"], prompt=11, completion=5))
    config = project(tmp_path, server, guest, token_budget=TokenBudget(per_execution=20))
    async with build_runtime(config) as rt:
        first = await ask_guest(rt)
        second = await ask_guest(rt)
    for got in (first, second):
        assert got["rc"] == Err.BUDGET
        assert "per_execution budget of 20 tokens would be exceeded" in got["err"]
    assert len(server.received("/v1/chat/completions")) == 2


async def test_a_granted_builtin_tool_answers(tmp_path: Path, server: ModelServer) -> None:
    guest = tool_asker("calculator", {"expression": "6 * 7"})
    async with build_runtime(project(tmp_path, server, guest, tools=("calculator",))) as rt:
        got = await ask_guest(rt)
    assert got["rc"] == 2 and got["out"] == "42"


async def test_a_tool_not_granted_is_denied_with_a_reason(
    tmp_path: Path, server: ModelServer
) -> None:
    guest = tool_asker("calculator", {"expression": "6 * 7"})
    async with build_runtime(project(tmp_path, server, guest, tools=("current_time",))) as rt:
        got = await ask_guest(rt)
    assert got["rc"] == Err.DENIED
    assert got["err"] == "tool 'calculator' is not granted to agent 'asker' (tools: current_time)"


async def test_a_tool_call_waits_for_approval_and_a_denial_reaches_the_guest(
    tmp_path: Path, server: ModelServer
) -> None:
    guest = tool_asker("calculator", {"expression": "6 * 7"})
    rules = ApprovalSettings(tools=(("calculator", ApprovalMode.ALWAYS),))
    config = project(tmp_path, server, guest, tools=("calculator",), approvals=rules)
    async with build_runtime(config) as rt:
        assert rt.messaging is not None
        requested = rt.bus.subscribe(kinds=["approval.requested"])
        pending = rt.messaging.send(
            AclMessage(Performative.REQUEST, "user", ("asker",), "go"), wait_secs=30
        )
        asking = rt.spawn(pending)
        approval = (await requested.get()).to_dict()
        assert approval["agent_id"] == "asker" and approval["tool"] == "calculator"
        assert not asking.done()  # the guest waits for the human
        await rt.decide_approval(str(approval["approval_id"]), "deny")
        _, reply = await asking
        assert reply is not None and reply.performative is Performative.INFORM
        kv = rt.messaging.host.kv
        rc = struct.unpack("<i", kv.get("asker", b"rc") or b"")[0]
        err = (kv.get("asker", b"err") or b"").decode()
        assert kv.get("asker", b"out") is None
    assert rc == Err.DENIED
    assert err.startswith("denied: the call of 'calculator' was not run: a human denied it")


async def test_a_deployed_agent_outside_the_config_gets_no_provider(
    tmp_path: Path, server: ModelServer
) -> None:
    config = make_config(tmp_path, [agent("helper")])
    async with build_runtime(config) as rt:
        assert rt.messaging is not None
        rt.messaging.deploy("asker", llm_asker("hi"))
        got = await ask_guest(rt)
    assert got["rc"] == Err.DENIED
    assert "not in axo.yaml" in got["err"]


async def test_guests_waiting_for_approval_do_not_stall_the_other_agents(
    tmp_path: Path, server: ModelServer
) -> None:
    # The host has two workers; both waiting guests hold one each, and a third agent still
    # answers at once (a spare worker takes over while they wait).
    rules = ApprovalSettings(tools=(("calculator", ApprovalMode.ALWAYS),))
    guest = tool_asker("calculator", {"expression": "1 + 1"})
    agents = []
    for name in ("first", "second"):
        (tmp_path / f"{name}.wasm").write_bytes(guest)
        agents.append(
            agent(
                name,
                kind=AgentKind.WASM,
                wasm=WasmSettings(module=f"{name}.wasm"),
                tools=("calculator",),
                approvals=rules,
            )
        )
    (tmp_path / "echo.wasm").write_bytes(
        guests.replier({"performative": "inform", "receiver": "user", "content": "pong"})
    )
    agents.append(agent("echo", kind=AgentKind.WASM, wasm=WasmSettings(module="echo.wasm")))
    async with build_runtime(make_config(tmp_path, agents)) as rt:
        assert rt.messaging is not None
        requested = rt.bus.subscribe(kinds=["approval.requested"])
        waiting = [
            rt.spawn(
                rt.messaging.send(
                    AclMessage(Performative.REQUEST, "user", (name,), "go"), wait_secs=30
                )
            )
            for name in ("first", "second")
        ]
        approvals = [(await requested.get()).to_dict() for _ in waiting]
        _, pong = await rt.messaging.send(
            AclMessage(Performative.REQUEST, "user", ("echo",), "ping"), wait_secs=10
        )
        assert not any(task.done() for task in waiting)
        for approval in approvals:
            await rt.decide_approval(str(approval["approval_id"]), "approve")
        answers = [await task for task in waiting]
    assert pong is not None and pong.content == "pong"
    assert all(reply is not None and reply.content == "done" for _, reply in answers)
