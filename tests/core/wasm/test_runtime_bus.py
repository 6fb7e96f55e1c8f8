"""The runtime's one bus: WASM agents from axo.yaml and LLM agents exchange ACL messages, a
WASM agent runs as a workflow step, and every message is journaled."""

from __future__ import annotations

import json
from pathlib import Path

from axo_tui.core.acl import AclMessage, Performative
from axo_tui.core.base.enums import RunStatus
from axo_tui.core.config import load_config
from axo_tui.core.config.schema import AgentKind, WasmSettings, WorkflowConfig
from axo_tui.core.runtime.build import build_runtime
from tests.core.wasm import guests
from tests.support.builders import agent, make_config, scripted


def wasm_agent(tmp_path: Path, agent_id: str, module: bytes):
    (tmp_path / f"{agent_id}.wasm").write_bytes(module)
    return agent(agent_id, kind=AgentKind.WASM, wasm=WasmSettings(module=f"{agent_id}.wasm"))


async def test_llm_agent_answers_an_acl_message_with_one(tmp_path: Path) -> None:
    answer = json.dumps({"performative": "agree", "content": "will do"})
    config = make_config(tmp_path, [agent("helper")], providers=[scripted({"helper": [answer]})])
    async with build_runtime(config) as rt:
        assert rt.messaging is not None
        sent, reply = await rt.messaging.send(
            AclMessage(Performative.REQUEST, "user", ("helper",), "tidy up"), wait_secs=30
        )
    assert reply is not None
    assert reply.performative is Performative.AGREE and reply.content == "will do"
    assert reply.sender == "helper" and reply.in_reply_to == sent.reply_with


async def test_wasm_and_llm_agents_talk_on_one_bus(tmp_path: Path) -> None:
    # relay asks helper whenever it gets a message, helper's answer included: a loop, which
    # the test watches the start of.
    ask_llm = {"performative": "request", "receiver": "helper", "content": "hi llm"}
    config = make_config(
        tmp_path,
        [wasm_agent(tmp_path, "relay", guests.replier(ask_llm)), agent("helper")],
        providers=[scripted({"helper": ["plain words back"]})],
    )
    async with build_runtime(config) as rt:
        assert rt.messaging is not None
        assert [a.name for a in rt.messaging.agents()] == ["relay"]
        sub = rt.bus.subscribe(kinds=["acl.message"])
        await rt.messaging.send(AclMessage(Performative.REQUEST, "user", ("relay",), "go"))
        seen = []
        while len(seen) < 3:
            seen.append((await sub.get()).to_dict())
        journaled = [
            e
            for e in rt.journal.events(agents=["relay", "helper", "user"])
            if e["kind"] == "acl.message"
        ][:3]
    flow = [(e["sender"], e["performative"], e["receivers"]) for e in seen]
    assert flow == [
        ("user", "request", ["relay"]),
        ("relay", "request", ["helper"]),
        ("helper", "inform", ["relay"]),  # plain text comes back as an inform
    ]
    assert seen[2]["content"] == json.dumps("plain words back")
    assert [(e["sender"], e["performative"]) for e in journaled] == [
        (sender, performative) for sender, performative, _ in flow
    ]


async def test_wasm_agent_is_a_workflow_step(tmp_path: Path) -> None:
    done = {"performative": "inform", "receiver": "workflow", "content": "stamped"}
    config = make_config(
        tmp_path,
        [wasm_agent(tmp_path, "stamp", guests.replier(done)), agent("after", "stamp")],
        workflows=[WorkflowConfig(id="flow", agents=("stamp", "after"))],
        providers=[scripted({"after": ["finished"]})],
    )
    async with build_runtime(config) as rt:
        result = await rt.run_workflow("flow", "paper")
    assert result.status is RunStatus.COMPLETED
    assert result.outputs == {"stamp": "stamped", "after": "finished"}


async def test_failing_wasm_step_fails_its_activation(tmp_path: Path) -> None:
    config = make_config(tmp_path, [wasm_agent(tmp_path, "bad", guests.hostile("trap"))])
    async with build_runtime(config) as rt:
        result = await rt.run_agent("bad", "x")
    assert result.status is RunStatus.FAILED
    assert "answered failure: {'error': 'trap: unreachable'}" in result.errors["bad"]


async def test_unknown_receiver_is_answered_with_failure(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("a")])
    async with build_runtime(config) as rt:
        assert rt.messaging is not None
        _, reply = await rt.messaging.send(
            AclMessage(Performative.INFORM, "user", ("ghost",), "boo"), wait_secs=10
        )
    assert reply is not None and reply.performative is Performative.FAILURE
    assert reply.content == {"error": "unknown receiver: ghost"}


def test_kind_wasm_in_axo_yaml(tmp_path: Path) -> None:
    (tmp_path / "axo.yaml").write_text(
        "agents:\n"
        "  - id: ping\n    kind: wasm\n    module: agents/ping.wasm\n"
        "    limits: {fuel: 5000, memory_mb: 8, timeout_ms: 50}\n"
        "  - id: nomod\n    kind: wasm\n"
    )
    from axo_tui.core.config import ConfigError

    try:
        load_config(tmp_path / "axo.yaml")
    except ConfigError as exc:
        text = str(exc)
    else:
        raise AssertionError("a wasm agent without a module must be refused")
    assert "module" in text and "nomod" in text
    (tmp_path / "axo.yaml").write_text(
        "agents:\n"
        "  - id: ping\n    kind: wasm\n    module: agents/ping.wasm\n"
        "    limits: {fuel: 5000, memory_mb: 8, timeout_ms: 50}\n"
    )
    (ping,) = load_config(tmp_path / "axo.yaml").agents
    assert ping.kind is AgentKind.WASM
    assert ping.wasm == WasmSettings("agents/ping.wasm", 5000, 8, 50)
