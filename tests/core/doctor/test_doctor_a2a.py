"""`axo doctor` fetches each remote A2A agent's card (`provider: a2a`), checks it as the
agent's first turn would, and says whether it streams and whether the auth it asks for is
configured. The peers are a2a-sdk servers on 127.0.0.1 (tests/support/a2a_peers.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from axo_tui.core.doctor import CheckResult, DoctorOptions, DoctorReport, Status, run_doctor_async
from tests.support.a2a_peers import sdk_peers
from tests.support.model_server import closed_port

pytestmark = pytest.mark.asyncio


async def doctor(tmp_path: Path, remote_agents: str, *, timeout: float = 2) -> DoctorReport:
    (tmp_path / "axo.yaml").write_text(
        "agents:\n  - {id: local, provider: scripted}\n"
        f"{remote_agents}"
        "providers:\n  scripted: {kind: scripted}\n"
        f"server:\n  port: {closed_port()}\n",
        encoding="utf-8",
    )
    options = DoctorOptions(
        config=tmp_path / "axo.yaml", search_dir=tmp_path, network_timeout=timeout
    )
    return await run_doctor_async(options)


def rows(report: DoctorReport) -> dict[str, CheckResult]:
    return {r.name: r for r in report.checks}


async def test_a_good_peer_is_named_with_its_version_and_streaming(tmp_path: Path) -> None:
    async with sdk_peers() as peers:
        report = await doctor(
            tmp_path,
            f"  - {{id: translator, provider: a2a, url: '{peers.url('echo')}'}}\n"
            f"  - {{id: quiet, provider: a2a, url: '{peers.url('plain')}'}}\n",
        )
    found = rows(report)
    translator, quiet = found["a2a:translator"], found["a2a:quiet"]
    assert (translator.status, translator.message) == (
        Status.OK,
        f"remote agent 'translator' at {peers.url('echo')}: card 'echo' version 1, streams, "
        "JSONRPC 1.0",
    )
    assert quiet.status is Status.OK and "does not stream" in quiet.message
    egress = found["egress"]
    assert (egress.status, egress.message) == (
        Status.OK,
        f"connected only to configured destinations (A2A peer 127.0.0.1:{peers.port})",
    )
    names = [r.name for r in report.checks]
    assert names.index("a2a:translator") < names.index("a2a:quiet") < names.index("egress")
    assert report.ok


async def test_unreachable_malformed_and_foreign_peers_fail_naming_agent_and_url(
    tmp_path: Path,
) -> None:
    gone = f"http://127.0.0.1:{closed_port()}/a2a/gone"
    async with sdk_peers() as peers:
        report = await doctor(
            tmp_path,
            f"  - {{id: gone, provider: a2a, url: '{gone}'}}\n"
            f"  - {{id: broken, provider: a2a, url: '{peers.url('broken')}'}}\n"
            f"  - {{id: future, provider: a2a, url: '{peers.url('future')}'}}\n"
            f"  - {{id: missing, provider: a2a, url: '{peers.url('nothing-here')}'}}\n",
        )
    found = rows(report)
    assert not report.ok
    for agent_id, url, reason, hint in (
        ("gone", gone, "cannot read its agent card: Network communication error", "start"),
        ("broken", peers.url("broken"), "Invalid agent card structure", "point"),
        ("future", peers.url("future"), "speaks no A2A version and binding axo", "point"),
        ("missing", peers.url("nothing-here"), "(HTTP 404)", "point"),
    ):
        row = found[f"a2a:{agent_id}"]
        assert row.status is Status.FAIL, row
        assert row.message.startswith(f"remote agent '{agent_id}' at {url}: "), row.message
        assert reason in row.message and "\n" not in row.message
        assert (row.fix or "").startswith(hint) and f"`url` of agent '{agent_id}'" in row.fix
        assert f"axo a2a card {url}" in row.fix
    assert found["egress"].status is Status.OK  # every attempt went where the config points


async def test_a_peer_that_never_sends_its_card_fails_within_the_timeout(tmp_path: Path) -> None:
    async with sdk_peers() as peers:
        started = time.perf_counter()
        report = await doctor(
            tmp_path, f"  - {{id: slow, provider: a2a, url: '{peers.url('slow')}'}}\n", timeout=1
        )
        elapsed = time.perf_counter() - started
    row = rows(report)["a2a:slow"]
    assert row.status is Status.FAIL
    assert row.message.startswith(f"remote agent 'slow' at {peers.url('slow')}: ")
    assert row.message.endswith("its agent card did not arrive within 3 s")  # the least wait
    assert elapsed < 10


async def test_a_card_asking_for_auth_the_agent_does_not_send_is_a_warning_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEER_TOKEN", "s3cret-peer-token")
    async with sdk_peers() as peers:
        url = peers.url("secured")
        report = await doctor(
            tmp_path,
            f"  - {{id: locked, provider: a2a, url: '{url}'}}\n"
            f"  - {{id: keyed, provider: a2a, url: '{url}',"
            " a2a: {headers: {Authorization: 'Bearer ${PEER_TOKEN}'}}}\n",
        )
    found = rows(report)
    locked, keyed = found["a2a:locked"], found["a2a:keyed"]
    assert locked.status is Status.WARN
    assert locked.message.endswith("its card asks for HTTP bearer auth ('bearer')")
    assert locked.fix == (
        "set `a2a: {headers: {Authorization: \"Bearer ${TOKEN}\"}}` on agent 'locked'"
    )
    assert keyed.status is Status.OK
    assert all("s3cret-peer-token" not in r.message for r in report.checks)
    assert report.ok  # a warning: the card is fine, a call may be refused
