"""The WASM host: deploy, hot replace with a drain, kv state, persistence, Caxton's imports."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from axo_tui.core.acl import AclMessage, AclRouter, Performative
from axo_tui.core.wasm.abi import WasmDeployError
from axo_tui.core.wasm.host import WasmHost
from axo_tui.core.wasm.limits import RestartPolicy, WasmLimits
from axo_tui.core.wasm.module_cache import WASMTIME_VERSION
from tests.core.wasm import guests
from tests.support.wasm_bus import Events, Probe


def ask(router: AclRouter, receiver: str) -> AclMessage:
    return router.send(AclMessage(Performative.REQUEST, "probe", (receiver,), "go"))


def test_replace_drains_in_flight_on_old_and_queued_on_new(router, probe, tmp_path) -> None:
    started = threading.Event()

    def on_event(kind: str, agent: str, fields: dict) -> None:
        if kind == "wasm.log" and fields["text"] == "start":
            started.set()

    host = WasmHost(router, data_dir=tmp_path, on_event=on_event, workers=1)
    host.start()
    try:
        v1 = {"performative": "inform", "receiver": "probe", "content": "v1"}
        v2 = {"performative": "inform", "receiver": "probe", "content": "v2"}
        limits = WasmLimits(fuel=10**12, timeout_ms=20_000)
        host.deploy("svc", guests.slow_replier(v1, 30_000_000), limits)
        first = ask(router, "svc")
        assert started.wait(10)  # the first message is in flight on v1
        queued = [ask(router, "svc") for _ in range(3)]
        result = host.deploy("svc", guests.replier(v2))
        assert result.replaced
        got = probe.wait_for(4)
        assert [m.content for m in got] == ["v1", "v2", "v2", "v2"]
        assert got[0].conversation_id == first.conversation_id
        assert [m.conversation_id for m in got[1:]] == [m.conversation_id for m in queued]
    finally:
        host.close()


def test_kv_state_survives_redeploy_and_restart(router, probe, tmp_path: Path) -> None:
    host = WasmHost(router, data_dir=tmp_path)
    host.start()
    host.deploy("counter", guests.counter("probe"))
    for _ in range(3):
        ask(router, "counter")
    probe.wait_for(3)
    host.deploy("counter", guests.counter("probe"))  # redeploy the same module
    ask(router, "counter")
    probe.wait_for(4)
    host.close()
    assert router.endpoint("counter") is None

    again = WasmHost(router, data_dir=tmp_path)
    assert again.start() == []  # the deployment comes back from the data dir
    assert [a.name for a in again.agents()] == ["counter"]
    ask(router, "counter")
    probe.wait_for(5)
    assert int.from_bytes(again.kv.get("counter", b"n") or b"", "little") == 5
    again.undeploy("counter")
    again.close()
    third = WasmHost(router, data_dir=tmp_path)
    third.start()
    assert third.agents() == []  # undeployed stays undeployed
    third.close()


def test_compiled_modules_are_cached_on_disk(router, tmp_path: Path) -> None:
    host = WasmHost(router, data_dir=tmp_path)
    result = host.deploy("quiet", guests.silent())
    cached = list((tmp_path / "wasm" / "cache").iterdir())
    assert [p.name for p in cached] == [
        f"{result.sha256}-wasmtime{WASMTIME_VERSION}-fuel-epoch-v1.cwasm"
    ]
    host.close()
    fresh = WasmHost(router, data_dir=tmp_path)
    module, _ = fresh.engine.cache.load(guests.silent())
    assert module.serialize() == cached[0].read_bytes()
    cached[0].write_bytes(b"not an artifact")  # a damaged artifact is compiled again
    other = WasmHost(AclRouter(), data_dir=tmp_path)
    assert other.deploy("quiet", guests.silent()).sha256 == result.sha256
    other.close()
    fresh.close()


def test_caxton_host_functions_work(host: WasmHost, router, probe, events: Events) -> None:
    host.deploy("cax", guests.caxton_echo("probe"))
    ask(router, "cax")
    (reply,) = probe.wait_for(1)
    assert reply.sender == "cax" and reply.content == "caxton"
    assert host.kv.get("cax", b"caxton") == b"caxton"
    assert ("cax", {"level": "info", "text": "caxton"}) in events.of("wasm.log")


def test_a_repeating_timer_fires(host: WasmHost, probe: Probe) -> None:
    host.deploy("ticker", guests.timer_guest("probe"))
    got = probe.wait_for(3)
    assert [m.content for m in got] == ["tick"] * 3


def test_a_guest_cannot_speak_for_another(host: WasmHost, router, probe) -> None:
    forged = {"performative": "inform", "sender": "admin", "receiver": "probe", "content": "x"}
    host.deploy("liar", guests.replier(forged))
    ask(router, "liar")
    assert probe.wait_for(1)[0].sender == "liar"


def test_failed_init_refuses_the_deploy(router, tmp_path: Path) -> None:
    host = WasmHost(router, data_dir=tmp_path, policy=RestartPolicy())
    bad = guests.module(
        '(func (export "init") (result i32) (i32.const 1))'
        '(func (export "handle_message") (param i32 i32) (result i32) (i32.const 0))'
    )
    with pytest.raises(WasmDeployError, match="init failed: handler returned 1"):
        host.deploy("bad", bad)
    assert router.endpoint("bad") is None
    host.close()
