"""ping and pong written in C, AssemblyScript and WAT, built from source in the test session
(examples/wasm-pingpong, templates/wasm) and exchanging ACL messages through the WASM host."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.acl import AclMessage, AclRouter, Performative
from axo_tui.core.wasm import WasmHost
from tests.core.wasm.conftest import Probe
from tests.support.wasm_guests import ROOT, GuestBuilds, session_builds

TEMPLATE_AGENTS = ROOT / "templates" / "wasm" / "agents"


class Logs:
    """The host's `wasm.log` lines, (agent, text), waited on as they arrive."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self._cond = threading.Condition()

    def __call__(self, kind: str, agent: str, fields: dict[str, Any]) -> None:
        if kind == "wasm.log":
            with self._cond:
                self.lines.append((agent, fields["text"]))
                self._cond.notify_all()

    def wait_for(self, agent: str, text: str, timeout: float = 15.0) -> None:
        with self._cond:
            found = self._cond.wait_for(lambda: (agent, text) in self.lines, timeout)
            assert found, f"no {text!r} from {agent} in {self.lines}"


class Exchanges:
    """Every message on the bus; waits for ping's requests that pong answered."""

    def __init__(self) -> None:
        self.seen: list[AclMessage] = []
        self._cond = threading.Condition()

    def __call__(self, message: AclMessage) -> None:
        with self._cond:
            self.seen.append(message)
            self._cond.notify_all()

    def answered(self) -> list[AclMessage]:
        replies = {
            m.in_reply_to
            for m in self.seen
            if m.sender == "pong" and m.performative is Performative.INFORM
        }
        return [
            m
            for m in self.seen
            if m.sender == "ping"
            and m.performative is Performative.REQUEST
            and m.reply_with in replies
        ]

    def wait_for_answers(self, count: int, timeout: float = 15.0) -> list[AclMessage]:
        with self._cond:
            found = self._cond.wait_for(lambda: len(self.answered()) >= count, timeout)
            assert found, f"fewer than {count} pings answered: {self.seen}"
            return self.answered()


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


def module(builds: GuestBuilds, language: str, name: str) -> bytes:
    if language == "wat":  # the host compiles WebAssembly text itself
        return (TEMPLATE_AGENTS / f"{name}.wat").read_bytes()
    return builds.agent(language, name).read_bytes()


@pytest.mark.parametrize("language", ["c", "assemblyscript"])
def test_pong_answers_a_request_in_utf8(
    language: str, guest_builds: GuestBuilds, logged_host: WasmHost, router, probe: Probe, logs
) -> None:
    # Non-ASCII content crosses the ABI as UTF-8 (AssemblyScript holds it as UTF-16 inside).
    logged_host.deploy("pong", module(guest_builds, language, "pong"))
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
    logged_host.deploy("ping", module(guest_builds, ping_in, "ping"))
    logged_host.deploy("pong", module(guest_builds, pong_in, "pong"))
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
    logged_host.deploy("ping", module(guest_builds, language, "ping"))
    logs.wait_for("ping", "pong did not answer (is it deployed?); pinging on")
    sending = "Sending ping 2 to pong" if language != "wat" else "Sending ping to pong"
    logs.wait_for("ping", sending)
    assert logged_host.agents()[0].failed == 0  # a failure reply is not a failed message


def test_ping_counts_on_across_a_redeploy(
    guest_builds: GuestBuilds, logged_host: WasmHost, logs: Logs
) -> None:
    ping = module(guest_builds, "c", "ping")
    logged_host.deploy("ping", ping)
    logs.wait_for("ping", "Sending ping 2 to pong")
    logged_host.undeploy("ping")
    logged_host.deploy("ping", ping)  # the count lives in the agent's kv state
    before = len(logs.lines)
    logs.wait_for("ping", "Sending ping 4 to pong")
    assert ("ping", "Sending ping 1 to pong") not in logs.lines[before:]
