"""A hosted runtime (`axo dev`, `axo serve`, `axo nats node` start it with `start_hosted`)
checks its remote A2A agents' cards at start, in the background: a bad or unreachable peer
is a RuntimeNotice naming the agent and the URL, start does not wait for a silent one, and
a peer down at start is used once it is up (the first turn checks again)."""

from __future__ import annotations

import time
from pathlib import Path

from axo_tui.core.config.schema import A2ASettings
from axo_tui.core.events.catalog import Event, RuntimeNotice
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.hosting import start_hosted, stop_hosted
from tests.support.a2a_peers import sdk_peers
from tests.support.builders import agent, make_config, until
from tests.support.model_server import closed_port

FAST = A2ASettings(max_retries=0, timeout_secs=1, deadline_secs=30)


def remote(agent_id: str, url: str, **fields: object) -> object:
    fields.setdefault("a2a", FAST)
    return agent(agent_id, provider="a2a", url=url, **fields)


async def test_bad_peers_are_notices_naming_agent_and_url_and_start_does_not_wait(
    tmp_path: Path,
) -> None:
    gone = f"http://127.0.0.1:{closed_port()}/a2a/gone"
    async with sdk_peers() as peers:
        config = make_config(
            tmp_path,
            [
                remote("good", peers.url("echo")),
                remote("gone", gone),
                remote("broken", peers.url("broken")),
                remote("slow", peers.url("slow")),
                remote("locked", peers.url("secured")),
                agent("local"),
            ],
        )
        notices: dict[str, str] = {}

        def hear(event: Event) -> None:
            if isinstance(event, RuntimeNotice) and event.agent_id:
                notices[event.agent_id] = event.message

        runtime = build_runtime(
            config, data_dir=tmp_path / "data", background=True, subscribers=[hear]
        )
        started = time.perf_counter()
        start_hosted(runtime, "test")
        assert time.perf_counter() - started < 0.5  # no peer was waited for
        local = await runtime.run_agent("local", "hi")  # works while the checks run
        await until(lambda: {"gone", "broken", "slow", "locked"} <= set(notices), timeout=15)
        await stop_hosted(runtime)
    assert local.ok
    assert "good" not in notices
    assert notices["gone"].startswith(f"remote agent 'gone' at {gone}: cannot read its agent card")
    assert notices["gone"].endswith("; its first turn will try again")
    assert notices["broken"].startswith(
        f"remote agent 'broken' at {peers.url('broken')}: its agent card is malformed"
    )
    assert notices["slow"] == (
        f"remote agent 'slow' at {peers.url('slow')}: its agent card did not arrive within 1 s"
        "; its first turn will try again"
    )
    assert notices["locked"] == (
        f"remote agent 'locked' at {peers.url('secured')}: its card asks for HTTP bearer auth "
        "('bearer'): set `a2a: {headers: {Authorization: \"Bearer ${TOKEN}\"}}` on agent 'locked'"
    )


async def test_a_peer_down_at_start_is_used_once_it_is_up(tmp_path: Path) -> None:
    port = closed_port()
    config = make_config(tmp_path, [remote("late", f"http://127.0.0.1:{port}/echo")])
    notices: list[str] = []
    runtime = build_runtime(
        config,
        data_dir=tmp_path / "data",
        background=True,
        subscribers=[lambda e: notices.append(e.message) if isinstance(e, RuntimeNotice) else None],
    )
    start_hosted(runtime, "test")
    try:
        await until(lambda: bool(notices), timeout=15)
        assert "remote agent 'late' at" in notices[0]
        async with sdk_peers(port=port):
            result = await runtime.run_agent("late", "at last")
    finally:
        await stop_hosted(runtime)
    assert result.ok, result.errors
    assert result.output == "echo: at last"


async def test_a_runtime_without_background_work_checks_no_card(tmp_path: Path) -> None:
    async with sdk_peers() as peers:
        config = make_config(tmp_path, [remote("broken", peers.url("broken"))])
        notices: list[Event] = []
        async with build_runtime(
            config, data_dir=tmp_path / "data", subscribers=[notices.append]
        ) as runtime:
            await runtime.wait_idle(timeout=2)
    assert not [e for e in notices if isinstance(e, RuntimeNotice)]


async def test_a_reload_checks_the_peers_it_adds_or_changes_only(tmp_path: Path) -> None:
    gone = f"http://127.0.0.1:{closed_port()}/a2a/gone"
    async with sdk_peers() as peers:
        broken = remote("kept", peers.url("broken"))
        config = make_config(tmp_path, [broken])
        notices: list[RuntimeNotice] = []
        runtime = build_runtime(
            config,
            data_dir=tmp_path / "data",
            background=True,
            subscribers=[lambda e: notices.append(e) if isinstance(e, RuntimeNotice) else None],
        )
        start_hosted(runtime, "test")
        try:
            await until(lambda: any(n.agent_id == "kept" for n in notices), timeout=15)
            reloaded = make_config(
                tmp_path, [broken, remote("added", gone), remote("good", peers.url("echo"))]
            )
            runtime.apply_config(reloaded)
            await until(lambda: any(n.agent_id == "added" for n in notices), timeout=15)
            await runtime.wait_idle(timeout=15)
        finally:
            await stop_hosted(runtime)
    by_agent = [n.agent_id for n in notices if n.agent_id]
    # The unchanged bad peer is not said again; the added bad one is; the good one is quiet.
    assert by_agent == ["kept", "added"]
    assert notices[-1].message.startswith(f"remote agent 'added' at {gone}")
