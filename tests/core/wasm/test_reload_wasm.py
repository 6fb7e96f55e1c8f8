"""A config reload redeploys the `kind: wasm` agents whose module file or limits changed
(in place, with a drain), leaves unchanged ones running, and removes deleted ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axo_tui.core.acl import AclMessage, Performative
from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.reload import ConfigFollower
from axo_tui.core.runtime.runtime import Runtime
from tests.core.wasm import guests

AGENT = """
  - id: {name}
    kind: wasm
    module: {name}.wasm
    limits: {{ fuel: 10000000, memory_mb: 16, timeout_ms: {timeout} }}
"""


def say(text: str) -> bytes:
    return guests.replier({"performative": "inform", "receiver": "user", "content": text})


def write_config(path: Path, agents: dict[str, int]) -> None:
    """`agents`: name -> timeout_ms."""
    body = "".join(AGENT.format(name=name, timeout=timeout) for name, timeout in agents.items())
    path.write_text(f"name: reload\nagents:{body}")


async def ask(rt: Runtime, name: str) -> AclMessage | None:
    assert rt.messaging is not None
    _, reply = await rt.messaging.send(
        AclMessage(Performative.REQUEST, "user", (name,), "hi"), wait_secs=10
    )
    return reply


def deployed(rt: Runtime) -> dict[str, dict[str, Any]]:
    assert rt.messaging is not None
    return {info.name: info.to_dict() for info in rt.messaging.agents()}


async def test_reload_redeploys_changed_modules_and_limits_and_removes_deleted_agents(
    tmp_path: Path,
) -> None:
    config_path = tmp_path / "axo.yaml"
    for name in ("alpha", "beta", "gamma"):
        (tmp_path / f"{name}.wasm").write_bytes(say(f"{name} v1"))
    write_config(config_path, {"alpha": 100, "beta": 100, "gamma": 100})
    rt = build_runtime(load_config(config_path), data_dir=tmp_path / ".axo")
    async with rt:
        before = deployed(rt)
        assert set(before) == {"alpha", "beta", "gamma"}
        assert await ask(rt, "beta") is not None  # the start's events are out
        events = rt.bus.subscribe(kinds=["wasm.event"])
        # alpha gets a new module, beta new limits, gamma is deleted.
        (tmp_path / "alpha.wasm").write_bytes(say("alpha v2"))
        write_config(config_path, {"alpha": 100, "beta": 250})
        outcome = await ConfigFollower(config_path, rt).reload()
        assert outcome.ok, outcome.problems
        after = deployed(rt)
        alpha, beta, gone = await ask(rt, "alpha"), await ask(rt, "beta"), await ask(rt, "gamma")
        seen = [event.to_dict() for event in events.drain()]
    assert set(after) == {"alpha", "beta"}
    assert after["alpha"]["sha256"] != before["alpha"]["sha256"]
    assert alpha is not None and alpha.content == "alpha v2"
    assert after["beta"]["limits"]["timeout_ms"] == 250
    assert after["beta"]["sha256"] == before["beta"]["sha256"]
    assert beta is not None and beta.content == "beta v1"
    assert gone is not None and gone.performative is Performative.FAILURE
    assert gone.content == {"error": "unknown receiver: gamma"}
    changes = [(e["agent_id"], e["what"]) for e in seen if e["what"] != "wasm.log"]
    assert sorted(changes) == [
        ("alpha", "wasm.deployed"),
        ("beta", "wasm.deployed"),
        ("gamma", "wasm.undeployed"),
    ]


async def test_an_unchanged_agent_keeps_running_and_a_broken_module_keeps_the_old_one(
    tmp_path: Path,
) -> None:
    config_path = tmp_path / "axo.yaml"
    for name in ("alpha", "beta"):
        (tmp_path / f"{name}.wasm").write_bytes(say(f"{name} v1"))
    write_config(config_path, {"alpha": 100, "beta": 100})
    rt = build_runtime(load_config(config_path), data_dir=tmp_path / ".axo")
    async with rt:
        assert rt.messaging is not None
        beta_agent = rt.messaging.host.agent("beta")
        assert await ask(rt, "beta") is not None  # the start's events are out
        events = rt.bus.subscribe(kinds=["wasm.event"])
        (tmp_path / "alpha.wasm").write_bytes(b"\0asm not really")
        config_path.write_text(config_path.read_text() + "\n# touched\n")
        outcome = await ConfigFollower(config_path, rt).reload()
        alpha = await ask(rt, "alpha")
        seen = [event.to_dict() for event in events.drain()]
        beta_instance_kept = rt.messaging.host.agent("beta") is beta_agent
    assert outcome.ok
    assert alpha is not None and alpha.content == "alpha v1"  # the old module still answers
    problems = [e["text"] for e in seen if e["what"] == "wasm.problem"]
    assert len(problems) == 1 and problems[0].startswith("agent 'alpha'")
    assert not [e for e in seen if e["what"] == "wasm.deployed"]  # beta was not touched
    assert beta_instance_kept
