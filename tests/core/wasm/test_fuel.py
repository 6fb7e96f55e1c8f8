"""The fuel each agent burns, summed and reported a few times a minute (`wasm.fuel`), and
the cause of each failed handler call (`wasm.failed`): what the WASM metrics count."""

from __future__ import annotations

import time
from pathlib import Path

from axo_tui.core.acl import AclMessage, AclRouter, Performative
from axo_tui.core.wasm.host import FUEL_REPORT_SECS, WasmHost
from axo_tui.core.wasm.limits import RestartPolicy, WasmLimits
from tests.core.wasm import guests
from tests.support.wasm_bus import Events, Probe

REPLY = {"performative": "inform", "receiver": "probe", "content": "done"}


def ask(router: AclRouter, receiver: str) -> AclMessage:
    return router.send(AclMessage(Performative.REQUEST, "probe", (receiver,), "go"))


def fuel_of(events: Events, agent: str) -> list[int]:
    return [fields["fuel"] for name, fields in events.of("wasm.fuel") if name == agent]


def make_host(router: AclRouter, events: Events, tmp_path: Path) -> WasmHost:
    policy = RestartPolicy(failure_threshold=10, backoff_base_secs=0.01)
    host = WasmHost(router, data_dir=tmp_path, on_event=events, policy=policy)
    host.start()
    return host


def test_fuel_is_summed_per_agent_and_reported_at_most_once_a_second(
    router: AclRouter, probe: Probe, events: Events, tmp_path: Path
) -> None:
    host = make_host(router, events, tmp_path)
    started = time.monotonic()
    try:
        host.deploy("idle", guests.replier(REPLY))
        host.deploy("once", guests.replier(REPLY))
        host.deploy("twice", guests.replier(REPLY))
        host.deploy("spinner", guests.slow_replier(REPLY, 10_000))
        for _ in range(100):
            ask(router, "once")
            ask(router, "spinner")
        for _ in range(200):
            ask(router, "twice")
        probe.wait_for(400)
    finally:
        host.close()  # the last report is sent as the host closes
    elapsed = time.monotonic() - started
    once, twice, spinner = (sum(fuel_of(events, n)) for n in ("once", "twice", "spinner"))
    assert fuel_of(events, "idle") == []  # nothing burned, nothing reported
    assert once > 0 and twice == 2 * once  # the same guest burns the same fuel per message
    # 10,000 turns of a loop of a few instructions each: the count is the guest's real work.
    assert 100 * 10_000 < spinner - once < 100 * 10_000 * 20
    reports = len(fuel_of(events, "twice"))
    assert reports <= elapsed / FUEL_REPORT_SECS + 1  # a sum now and then, not 200 events


def test_a_busy_agent_is_reported_while_it_runs(
    router: AclRouter, probe: Probe, events: Events, tmp_path: Path
) -> None:
    host = make_host(router, events, tmp_path)
    try:
        host.deploy("worker", guests.replier(REPLY))
        ask(router, "worker")
        probe.wait_for(1)
        deadline = time.monotonic() + 30
        while not fuel_of(events, "worker"):  # the periodic report, with the host still up
            assert time.monotonic() < deadline, events.items
            time.sleep(0.01)
        assert host.agent("worker") is not None
    finally:
        host.close()
    assert sum(fuel_of(events, "worker")) > 0


def test_exhausted_fuel_counts_the_whole_allowance(
    router: AclRouter, probe: Probe, events: Events, tmp_path: Path
) -> None:
    host = make_host(router, events, tmp_path)
    try:
        host.deploy("spin", guests.hostile("loop"), WasmLimits(fuel=100_000, timeout_ms=20_000))
        for _ in range(2):
            probe.reply_to(ask(router, "spin"), Performative.FAILURE)
    finally:
        host.close()
    assert sum(fuel_of(events, "spin")) == 2 * 100_000


def test_undeploy_reports_what_is_left(
    router: AclRouter, probe: Probe, events: Events, tmp_path: Path
) -> None:
    host = make_host(router, events, tmp_path)
    try:
        host.deploy("brief", guests.replier(REPLY))
        ask(router, "brief")
        probe.wait_for(1)
        host.undeploy("brief")
        kinds = [kind for kind, agent, _ in events.items if agent == "brief"]
        assert kinds[-2:] == ["wasm.fuel", "wasm.undeployed"]
        assert sum(fuel_of(events, "brief")) > 0
    finally:
        host.close()


def test_each_failure_names_its_cause(
    router: AclRouter, probe: Probe, events: Events, tmp_path: Path
) -> None:
    host = make_host(router, events, tmp_path)
    agents = {
        "trap": (guests.hostile("trap"), WasmLimits()),
        "fuel": (guests.hostile("loop"), WasmLimits(fuel=100_000, timeout_ms=20_000)),
        "deadline": (guests.hostile("loop"), WasmLimits(fuel=10**15, timeout_ms=100)),
        "error": (guests.hostile("fails"), WasmLimits()),  # returns 7: not a crash
    }
    try:
        for name, (module, limits) in agents.items():
            host.deploy(name, module, limits)
            probe.reply_to(ask(router, name), Performative.FAILURE)
    finally:
        host.close()
    causes = {agent: fields["cause"] for agent, fields in events.of("wasm.failed")}
    assert causes == {name: name for name in agents}
