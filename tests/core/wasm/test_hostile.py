"""Hostile guests (issue 20, item 7): each is contained to its own message, and the runtime
and the other agents carry on."""

from __future__ import annotations

import time

import pytest

from axo_tui.core.acl import AclMessage, AclRouter, Performative
from axo_tui.core.wasm.abi import WasmDeployError
from axo_tui.core.wasm.host import WasmHost
from axo_tui.core.wasm.limits import WasmLimits
from tests.core.wasm import guests
from tests.support.wasm_bus import Events, Probe

ECHO = {"performative": "inform", "receiver": "probe", "content": "alive"}


def ask(router: AclRouter, receiver: str, content: str = "go") -> AclMessage:
    return router.send(AclMessage(Performative.REQUEST, "probe", (receiver,), content))


def bystander_still_answers(host: WasmHost, router: AclRouter, probe: Probe) -> None:
    if host.agent("bystander") is None:
        host.deploy("bystander", guests.replier(ECHO))
    before = len(probe.got)
    ask(router, "bystander")
    got = probe.wait_for(before + 1)
    assert got[-1].sender == "bystander" and got[-1].content == "alive"


def failure_for(probe: Probe, sent: AclMessage) -> AclMessage:
    return probe.reply_to(sent, Performative.FAILURE)


def test_infinite_loop_is_ended_by_its_deadline(host, router, probe, events: Events) -> None:
    host.deploy("spin", guests.hostile("loop"), WasmLimits(fuel=10**15, timeout_ms=100))
    started = time.monotonic()
    sent = ask(router, "spin")
    reply = failure_for(probe, sent)
    assert time.monotonic() - started < 2.0
    assert reply.content == {"error": "deadline of 100 ms missed"}
    assert events.of("wasm.failed")[0] == (
        "spin",
        {"reason": reply.content["error"], "during": "message", "cause": "deadline"},
    )
    bystander_still_answers(host, router, probe)


def test_exhausted_fuel_fails_the_message(host, router, probe) -> None:
    host.deploy("spin", guests.hostile("loop"), WasmLimits(fuel=100_000, timeout_ms=10_000))
    reply = failure_for(probe, ask(router, "spin"))
    assert reply.content == {"error": "out of fuel (limit 100000)"}


def test_memory_bomb_stays_under_its_cap(host, router, probe) -> None:
    host.deploy("bomb", guests.hostile("memory"), WasmLimits(memory_mb=4, fuel=10**15))
    reply = failure_for(probe, ask(router, "bomb"))
    assert "deadline" in reply.content["error"]
    instance = host.agent("bomb")
    assert instance is not None
    bystander_still_answers(host, router, probe)


def test_trap_fails_one_message_and_the_agent_restarts(host, router, probe) -> None:
    host.deploy("trap", guests.hostile("trap"))
    first = failure_for(probe, ask(router, "trap"))
    assert first.content["error"].startswith("trap:")
    assert first.content == {"error": "trap: unreachable"}
    second = ask(router, "trap")  # a fresh instance after the backoff takes the next one
    again = failure_for(probe, second)
    assert again.content == first.content
    bystander_still_answers(host, router, probe)


def test_stack_overflow_is_a_trap(host, router, probe) -> None:
    host.deploy("deep", guests.hostile("stack"), WasmLimits(fuel=10**12, timeout_ms=5000))
    reply = failure_for(probe, ask(router, "deep"))
    assert reply.content == {"error": "stack overflow"}
    bystander_still_answers(host, router, probe)


def test_huge_output_is_refused_not_read(host, router, probe, events: Events) -> None:
    host.deploy("huge", guests.hostile("huge-send"))
    reply = failure_for(probe, ask(router, "huge"))
    assert reply.content == {"error": "handler returned -4"}  # ERR_TOO_LARGE came back
    host.deploy("noisy", guests.hostile("huge-log"))
    ask(router, "noisy")
    bystander_still_answers(host, router, probe)
    assert not [f for a, f in events.of("wasm.failed") if a == "noisy"]
    (line,) = [f["text"] for a, f in events.of("wasm.log") if a == "noisy"]
    assert len(line) == 4096 + len(" [cut]") and line.endswith(" [cut]")


def test_send_in_a_tight_loop_is_rate_limited(host, router, probe, events: Events) -> None:
    host.deploy(
        "spam",
        guests.hostile("send-loop"),
        WasmLimits(sends_per_call=25, fuel=10**15, timeout_ms=100),
    )
    sent = ask(router, "spam")
    failure_for(probe, sent)
    spam = [m for m in probe.got if m.content == "spam"]
    assert len(spam) == 25
    warnings = [f["text"] for a, f in events.of("wasm.log") if a == "spam"]
    assert warnings == ["send rate-limited: over 25 this call"]
    bystander_still_answers(host, router, probe)


def test_unknown_import_is_refused_before_instantiation(host, router) -> None:
    with pytest.raises(WasmDeployError) as refused:
        host.deploy("sneaky", guests.importing("env", "system"))
    assert "unknown imports: env.system" in str(refused.value)
    with pytest.raises(WasmDeployError) as mistyped:
        host.deploy("sneaky", guests.importing("axo", "now"))
    assert "axo.now is (i32) -> (), expected () -> (i64)" in str(mistyped.value)
    assert host.agent("sneaky") is None and router.endpoint("sneaky") is None


def test_malformed_module_is_refused(host, router, probe) -> None:
    with pytest.raises(WasmDeployError, match="not a valid WebAssembly module"):
        host.deploy("junk", b"\x00asm\x01\x00\x00\x00garbage")
    with pytest.raises(WasmDeployError, match="not a valid WebAssembly module"):
        host.deploy("junk", b"hello")
    bystander_still_answers(host, router, probe)


def test_repeated_crashes_open_the_circuit(host, router, probe, events: Events) -> None:
    host.deploy("trap", guests.hostile("trap"))
    for _ in range(3):
        failure_for(probe, ask(router, "trap"))
    assert events.of("wasm.degraded")[0][1]["failures"] == 3
    refused = failure_for(probe, ask(router, "trap"))
    assert "is degraded" in refused.content["error"]
    assert [a.status for a in host.agents() if a.name == "trap"] == ["degraded"]


def test_abort_from_a_host_import_fails_that_message_only(host, router, probe) -> None:
    # AssemblyScript's `abort` raises inside a raw host callback: it must trap the guest with
    # its reason, never unwind through wasmtime or take the host down.
    aborting = guests.module(
        '(func (export "handle_message") (param i32 i32) (result i32)'
        " (call $abort (i32.const 0) (i32.const 0) (i32.const 12) (i32.const 3)) (i32.const 0))",
        imports='(import "env" "abort" (func $abort (param i32 i32 i32 i32)))',
    )
    host.deploy("quitter", aborting)
    reply = failure_for(probe, ask(router, "quitter"))
    assert reply.content == {"error": "abort at 12:3"}
    bystander_still_answers(host, router, probe)
