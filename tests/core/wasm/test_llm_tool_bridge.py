"""The `llm` and `tool` imports of a WASM agent, answered by the runtime: the agent's
provider (a fake OpenAI server on 127.0.0.1) inside its token budget, and the tools it is
granted, with approvals applying. The guest stores what it got in kv: the return code,
the reply, and the reason `last_error` gives for a refusal."""

from __future__ import annotations

import json
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.acl import AclMessage, Performative
from axo_tui.core.config.schema import (
    AgentKind,
    ApprovalMode,
    ApprovalSettings,
    ProviderConfig,
    ProviderKind,
    TokenBudget,
    WasmSettings,
)
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.core.wasm.abi import Err
from tests.core.wasm import guests
from tests.core.wasm.guests import SEND, _data, module
from tests.support.builders import agent, make_config
from tests.support.dialects import openai_chat
from tests.support.model_server import ModelServer

OUT, CAP = 8192, 4096
DONE = json.dumps({"performative": "inform", "receiver": "user", "content": "done"})
IMPORTS = (
    SEND
    + '(import "axo" "llm" (func $llm (param i32 i32 i32 i32) (result i32)))'
    + '(import "axo" "tool" (func $tool (param i32 i32 i32 i32 i32 i32) (result i32)))'
    + '(import "axo" "last_error" (func $last_error (param i32 i32) (result i32)))'
    + '(import "axo" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))'
)


def asker(call: str, data: str, *, spin_after: bool = False) -> bytes:
    """On every message: makes `call` (the wat of the llm or tool call), keeps its result
    under kv "rc" (i32), "out" (the reply) or "err" (`last_error`), then answers `done`."""
    spin = "(loop $l (br $l))" if spin_after else ""
    return module(
        f"""
 (func $fit (param $n i32) (result i32)
   (select (local.get $n) (i32.const {CAP}) (i32.lt_u (local.get $n) (i32.const {CAP}))))
 (func (export "handle_message") (param i32 i32) (result i32)
   (local $rc i32) (local $n i32)
   (local.set $rc {call})
   (i32.store (i32.const 4096) (local.get $rc))
   (drop (call $kv_set (i32.const 2048) (i32.const 2) (i32.const 4096) (i32.const 4)))
   (if (i32.ge_s (local.get $rc) (i32.const 0))
     (then (drop (call $kv_set (i32.const 2052) (i32.const 3) (i32.const {OUT})
                               (call $fit (local.get $rc)))))
     (else
       (local.set $n (call $last_error (i32.const {OUT}) (i32.const {CAP})))
       (if (i32.ge_s (local.get $n) (i32.const 0))
         (then (drop (call $kv_set (i32.const 2056) (i32.const 3) (i32.const {OUT})
                                   (call $fit (local.get $n))))))))
   {spin}
   (drop (call $send (i32.const 2100) (i32.const {len(DONE)})))
   (i32.const 0))""",
        imports=IMPORTS,
        data=data + _data(2048, "rc") + _data(2052, "out") + _data(2056, "err") + _data(2100, DONE),
    )


def llm_asker(prompt: str, **kwargs: Any) -> bytes:
    call = f"(call $llm (i32.const 16) (i32.const {len(prompt.encode())}) (i32.const {OUT}) (i32.const {CAP}))"
    return asker(call, _data(16, prompt), **kwargs)


def tool_asker(name: str, arguments: dict[str, Any]) -> bytes:
    args = json.dumps(arguments)
    call = (
        f"(call $tool (i32.const 16) (i32.const {len(name)}) (i32.const 1024) "
        f"(i32.const {len(args)}) (i32.const {OUT}) (i32.const {CAP}))"
    )
    return asker(call, _data(16, name) + _data(1024, args))


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


async def ask(rt: Runtime) -> dict[str, Any]:
    """Send the guest a request; once it answered, what it kept in kv."""
    assert rt.messaging is not None
    _, reply = await rt.messaging.send(
        AclMessage(Performative.REQUEST, "user", ("asker",), "go"), wait_secs=30
    )
    assert reply is not None and reply.performative is Performative.INFORM, reply
    kv = rt.messaging.host.kv
    rc = struct.unpack("<i", kv.get("asker", b"rc") or b"\0\0\0\x80")[0]
    out, err = kv.get("asker", b"out"), kv.get("asker", b"err")
    return {"rc": rc, "out": out and out.decode(), "err": err and err.decode()}


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
        got = await ask(rt)
        ledger = {row.key: row for row in rt.journal.usage_report(group_by="agent")}
    assert got == {"rc": len("The answer is 42."), "out": "The answer is 42.", "err": None}
    sent = server.received("/v1/chat/completions")[0].json()
    assert sent["model"] == "m-1"
    assert sent["messages"][-1] == {"role": "user", "content": "What is six times seven?"}
    assert (ledger["asker"].prompt_tokens, ledger["asker"].completion_tokens) == (11, 5)


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
        got = await ask(rt)
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
        first = await ask(rt)
        second = await ask(rt)
    for got in (first, second):
        assert got["rc"] == Err.BUDGET
        assert "per_execution budget of 20 tokens would be exceeded" in got["err"]
    assert len(server.received("/v1/chat/completions")) == 2


async def test_a_granted_builtin_tool_answers(tmp_path: Path, server: ModelServer) -> None:
    guest = tool_asker("calculator", {"expression": "6 * 7"})
    async with build_runtime(project(tmp_path, server, guest, tools=("calculator",))) as rt:
        got = await ask(rt)
    assert got["rc"] == 2 and got["out"] == "42"


async def test_a_tool_not_granted_is_denied_with_a_reason(
    tmp_path: Path, server: ModelServer
) -> None:
    guest = tool_asker("calculator", {"expression": "6 * 7"})
    async with build_runtime(project(tmp_path, server, guest, tools=("current_time",))) as rt:
        got = await ask(rt)
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
        got = await ask(rt)
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
