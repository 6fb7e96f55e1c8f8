"""Python agents as WebAssembly components (componentize-py), run through the WASM host: on the
ACL bus with C and WAT peers, failing one message on a raise, kv state across a redeploy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime

from axo_tui.core.acl import AclMessage, AclRouter, Performative
from axo_tui.core.wasm import WasmHost
from axo_tui.core.wasm.abi import WasmDeployError
from axo_tui.core.wasm.component_instance import ComponentInstance
from axo_tui.core.wasm.limits import RestartPolicy, WasmLimits
from axo_tui.core.wasm.module_cache import sha256
from tests.support.wasm_bus import Events, Exchanges, Logs, Probe
from tests.support.wasm_guests import GuestBuilds, agent_module, session_builds


@pytest.fixture(scope="module")
def guest_builds(tmp_path_factory: pytest.TempPathFactory) -> GuestBuilds:
    return session_builds(tmp_path_factory)


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compiling a Python component takes seconds: the module's hosts share one disk cache."""
    return tmp_path_factory.mktemp("component-cache")


@pytest.fixture
def logs() -> Logs:
    return Logs()


def _host(router: AclRouter, data_dir: Path, cache: Path, sink: object) -> WasmHost:
    (data_dir / "wasm").mkdir(parents=True, exist_ok=True)
    (data_dir / "wasm" / "cache").symlink_to(cache, target_is_directory=True)
    host = WasmHost(
        router,
        data_dir=data_dir,
        on_event=sink,  # type: ignore[arg-type]
        policy=RestartPolicy(failure_threshold=3, cooldown_secs=60, backoff_base_secs=0.01),
    )
    host.start()
    return host


@pytest.fixture
def py_host(
    router: AclRouter, logs: Logs, events: Events, tmp_path: Path, shared_cache: Path
) -> Iterator[WasmHost]:
    def both(kind: str, agent: str, fields: dict[str, object]) -> None:
        logs(kind, agent, fields)
        events(kind, agent, fields)

    host = _host(router, tmp_path, shared_cache, both)
    yield host
    host.close()


def request(router: AclRouter, content: str, to: str = "counter") -> AclMessage:
    return router.send(AclMessage(Performative.REQUEST, "probe", (to,), content))


@pytest.mark.parametrize(("ping_in", "pong_in"), [("c", "python"), ("python", "wat")])
def test_python_ping_pong_with_a_c_or_wat_peer(
    ping_in: str, pong_in: str, guest_builds: GuestBuilds, py_host: WasmHost, router, logs
) -> None:
    exchanges = Exchanges()
    router.observe(exchanges)
    py_host.deploy("pong", agent_module(guest_builds, pong_in, "pong"))
    py_host.deploy("ping", agent_module(guest_builds, ping_in, "ping"))
    answered = exchanges.wait_for_answers(2, timeout=30)
    assert [m.content for m in answered[:2]] == ["ping 1", "ping 2"]
    if pong_in == "python":
        logs.wait_for("pong", "Received ping 1, sending pong back")
    else:
        logs.wait_for("ping", "Received pong")  # the WAT pong answers "pong"
        logs.wait_for("ping", "ping is up: a ping to pong every 500 ms")  # init ran
    kinds = {a.name: a.to_dict()["status"] for a in py_host.agents()}
    assert kinds == {"ping": "running", "pong": "running"}


def test_a_raise_fails_that_message_and_a_new_instance_answers_the_next(
    guest_builds: GuestBuilds, py_host: WasmHost, router, probe: Probe, events: Events
) -> None:
    py_host.deploy("counter", guest_builds.python("counter").read_bytes())
    agent = py_host.agent("counter")
    assert agent is not None
    first = agent.instance
    assert isinstance(first, ComponentInstance)

    failed = request(router, "raise")
    reply = probe.reply_to(failed)
    assert reply.performative is Performative.FAILURE
    assert reply.content["error"] == "trap: wasm `unreachable` instruction executed"
    failures = [(fields["during"], fields["cause"]) for _, fields in events.of("wasm.failed")]
    assert failures == [("message", "trap")]

    answered = probe.reply_to(request(router, "count"))
    assert (answered.performative, answered.content) == (Performative.INFORM, 1)
    assert isinstance(agent.instance, ComponentInstance)
    assert agent.instance is not first  # the poisoned instance was dropped, not entered again
    py_host.report_fuel()
    assert sum(fields["fuel"] for _, fields in events.of("wasm.fuel")) > 0  # a component's too


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        (WasmLimits(fuel=10**12, timeout_ms=200), "deadline of 200 ms missed"),
        (WasmLimits(fuel=20_000_000, timeout_ms=60_000), "out of fuel (limit 20000000)"),
    ],
)
def test_a_python_loop_is_ended_by_its_deadline_or_its_fuel(
    limits: WasmLimits, reason: str, guest_builds: GuestBuilds, py_host: WasmHost, router, probe
) -> None:
    py_host.deploy("counter", guest_builds.python("counter").read_bytes(), limits)
    failed = probe.reply_to(request(router, "spin"))
    assert (failed.performative, failed.content) == (Performative.FAILURE, {"error": reason})
    assert probe.reply_to(request(router, "count")).content == 1  # a new instance answers


def test_kv_state_survives_a_redeploy(
    guest_builds: GuestBuilds, py_host: WasmHost, router, probe: Probe, logs: Logs
) -> None:
    counter = guest_builds.python("counter").read_bytes()
    py_host.deploy("counter", counter)
    assert probe.reply_to(request(router, "count")).content == 1
    assert probe.reply_to(request(router, "count")).content == 2
    assert py_host.undeploy("counter")
    logs.wait_for("counter", "counter stops")  # the component's `stop` export ran
    py_host.deploy("counter", counter)
    assert probe.reply_to(request(router, "count")).content == 3


def test_a_component_is_cached_on_disk_and_a_bad_cache_file_is_rebuilt(
    guest_builds: GuestBuilds, router, tmp_path: Path, shared_cache: Path
) -> None:
    counter = guest_builds.python("counter").read_bytes()
    first = _host(router, tmp_path / "a", shared_cache, None)
    try:
        digest = first.engine.compile(counter).sha256
        cached = first.engine.components.path_for(digest)
    finally:
        first.close()
    assert cached is not None and cached.is_file()
    assert digest == sha256(counter)
    lone = tmp_path / "lone-cache"
    lone.mkdir()
    (lone / cached.name).write_bytes(b"not a compiled component")  # truncated, foreign...
    second = _host(router, tmp_path / "b", lone, None)
    try:
        assert second.engine.compile(counter).sha256 == digest  # compiled again
    finally:
        second.close()
    assert (lone / cached.name).read_bytes() == cached.read_bytes()  # and replaced


UNKNOWN_IMPORT = """
(component
  (import "evil:net/socket@1.0.0" (instance (export "open" (func))))
  (import "wasi:http/outgoing-handler@0.2.0" (instance))
  (core module $m (func (export "handle")))
  (core instance $i (instantiate $m))
  (func (export "handle-message") (canon lift (core func $i "handle")))
)
"""


def test_a_component_importing_anything_unknown_is_refused_with_the_names(
    py_host: WasmHost,
) -> None:
    with pytest.raises(WasmDeployError) as refused:
        py_host.deploy("evil", bytes(wasmtime.wat2wasm(UNKNOWN_IMPORT)))
    assert "unknown imports: evil:net/socket@1.0.0, wasi:http/outgoing-handler@0.2.0" in str(
        refused.value
    )
    assert py_host.agents() == []


def test_a_component_without_handle_message_is_refused(py_host: WasmHost) -> None:
    empty = bytes(wasmtime.wat2wasm("(component)"))
    with pytest.raises(WasmDeployError, match="missing export: handle-message"):
        py_host.deploy("empty", empty)
