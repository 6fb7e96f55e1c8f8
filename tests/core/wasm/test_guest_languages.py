"""ping and pong written in C, AssemblyScript and WAT, built from source in the test session
(examples/wasm-pingpong, templates/wasm) and exchanging ACL messages through the WASM host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.acl import AclMessage, AclRouter, Performative
from axo_tui.core.wasm import WasmHost
from tests.support.wasm_bus import Exchanges, Logs, Probe
from tests.support.wasm_guests import GuestBuilds, agent_module, session_builds


@pytest.fixture(scope="session")
def guest_builds(tmp_path_factory: pytest.TempPathFactory) -> GuestBuilds:
    return session_builds(tmp_path_factory)


@pytest.fixture
def logs() -> Logs:
    return Logs()


@pytest.fixture
def logged_host(router: AclRouter, logs: Logs, tmp_path: Path) -> Any:
    host = WasmHost(router, data_dir=tmp_path, on_event=logs)
    host.start()
    yield host
    host.close()


@pytest.mark.parametrize("language", ["c", "assemblyscript"])
def test_pong_answers_a_request_in_utf8(
    language: str, guest_builds: GuestBuilds, logged_host: WasmHost, router, probe: Probe, logs
) -> None:
    # Non-ASCII content crosses the ABI as UTF-8 (AssemblyScript holds it as UTF-16 inside).
    logged_host.deploy("pong", agent_module(guest_builds, language, "pong"))
    sent = router.send(AclMessage(Performative.REQUEST, "probe", ("pong",), "ping 7 café 🏓"))
    reply = probe.reply_to(sent)
    assert reply.performative is Performative.INFORM
    assert (reply.sender, reply.receivers, reply.content) == ("pong", ("probe",), "pong 7 café 🏓")
    assert reply.conversation_id == sent.conversation_id
    logs.wait_for("pong", "Received ping 7 café 🏓, sending pong back")


@pytest.mark.parametrize(
    ("ping_in", "pong_in"),
    [("c", "c"), ("assemblyscript", "assemblyscript"), ("c", "assemblyscript"), ("wat", "wat")],
)
def test_ping_and_pong_exchange_messages(
    ping_in: str, pong_in: str, guest_builds: GuestBuilds, logged_host: WasmHost, router, logs
) -> None:
    exchanges = Exchanges()
    router.observe(exchanges)
    logged_host.deploy("ping", agent_module(guest_builds, ping_in, "ping"))
    logged_host.deploy("pong", agent_module(guest_builds, pong_in, "pong"))
    answered = exchanges.wait_for_answers(2)
    assert all(m.receivers == ("pong",) for m in answered)
    second = " 2" if ping_in != "wat" else ""  # the WAT ping does not count
    logs.wait_for("ping", f"Sending ping{second} to pong")
    logs.wait_for("pong", f"Received ping{second}, sending pong back")
    logs.wait_for("ping", f"Received pong{second}")


@pytest.mark.parametrize("language", ["c", "assemblyscript", "wat"])
def test_ping_alone_hears_failures_and_pings_on(
    language: str, guest_builds: GuestBuilds, logged_host: WasmHost, logs: Logs
) -> None:
    logged_host.deploy("ping", agent_module(guest_builds, language, "ping"))
    logs.wait_for("ping", "pong did not answer (is it deployed?); pinging on")
    sending = "Sending ping 2 to pong" if language != "wat" else "Sending ping to pong"
    logs.wait_for("ping", sending)
    assert logged_host.agents()[0].failed == 0  # a failure reply is not a failed message


def test_ping_counts_on_across_a_redeploy(
    guest_builds: GuestBuilds, logged_host: WasmHost, logs: Logs
) -> None:
    ping = agent_module(guest_builds, "c", "ping")
    logged_host.deploy("ping", ping)
    logs.wait_for("ping", "Sending ping 2 to pong")
    logged_host.undeploy("ping")
    logged_host.deploy("ping", ping)  # the count lives in the agent's kv state
    before = len(logs.lines)
    logs.wait_for("ping", "Sending ping 4 to pong")
    assert ("ping", "Sending ping 1 to pong") not in logs.lines[before:]
