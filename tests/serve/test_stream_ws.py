"""`GET /ws` over a real socket with the `websockets` client: filters, resume by sequence
number while events keep flowing, a slow client disconnected with its reason."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from axo_tui.serve.http.stream import stream_hub
from axo_tui.serve.http.stream_feed import EndReason, StreamLimits
from tests.support.builders import agent, until
from tests.support.live_server import live_server

SIGNAL_KINDS = ("run.started", "signal.emitted", "run.completed")
SIGNAL_RUN = "&".join(f"kind={kind}" for kind in SIGNAL_KINDS)
"""The journaled events of `emit_signal`'s runs: a replay has every one of them."""


async def message(ws: ClientConnection) -> dict[str, Any]:
    value = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert isinstance(value, dict)
    return value


async def events(ws: ClientConnection) -> list[dict[str, Any]]:
    """The events of the next message, which must carry events."""
    got = await message(ws)
    assert got["type"] == "events", got
    return list(got["events"])


async def closed_with(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_events_are_filtered_by_agent_kind_and_run(tmp_path: Path) -> None:
    async with live_server(tmp_path, [agent("a"), agent("b")]) as server:
        runtime = server.runtime
        async with connect(f"{server.ws}?agent=b&kind=agent.completed") as ws:
            assert await message(ws) == {
                "type": "subscribed",
                "run": None,
                "agents": ["b"],
                "kinds": ["agent.completed"],
                "after": None,
            }
            await runtime.run_agent("a", "hi")  # sent first, were it let through
            done = await runtime.run_agent("b", "hi")
            got = await events(ws)
            journaled = runtime.state.events(run_id=done.run_id)
            # The very objects `axo events --json` prints.
            assert got == [r.to_dict() for r in journaled if r.kind == "agent.completed"]
            assert got[0]["agent_id"] == "b"

            # A subscribe message changes the filter; `after` replays the journal first.
            await ws.send(json.dumps({"type": "subscribe", "run": done.run_id[:-3], "after": 0}))
            ack = await message(ws)
            assert (ack["type"], ack["run"], ack["after"]) == ("subscribed", done.run_id, 0)
            replayed = await events(ws)
            assert replayed == [r.to_dict() for r in journaled]
            assert {e["run_id"] for e in replayed} == {done.run_id}


async def test_bad_filters_and_messages_are_answered_with_what_is_wrong(tmp_path: Path) -> None:
    async with live_server(tmp_path, [agent("a")]) as server:
        async with connect(f"{server.ws}?kind=agent.exploded") as ws:
            code, reason = await closed_with(ws)
            assert code == 1008
            assert "unknown event kind 'agent.exploded'" in reason
        async with connect(f"{server.ws}?run=nosuchrun") as ws:
            assert await closed_with(ws) == (1008, "no run 'nosuchrun'")
        async with connect(server.ws) as ws:
            await message(ws)
            await ws.send("not json")
            assert (await message(ws))["error"]["code"] == "invalid_request"
            await ws.send(json.dumps({"type": "subscribe", "after": -1}))
            error = (await message(ws))["error"]
            assert "after" in error["message"]
            await ws.send(json.dumps({"type": "subscribe", "kinds": ["agent.*"]}))
            assert "agent.completed" in (await message(ws))["kinds"]  # still open, resubscribed


async def test_a_reconnect_with_after_has_no_gap_and_no_duplicate(tmp_path: Path) -> None:
    async with live_server(tmp_path, [agent("a")]) as server:
        runtime = server.runtime
        flowing = True

        async def keep_emitting() -> None:
            while flowing:
                await runtime.emit_signal("tick")
                await asyncio.sleep(0)  # a run may complete without ever yielding

        emitter = asyncio.create_task(keep_emitting())
        first: list[int] = []
        async with connect(f"{server.ws}?{SIGNAL_RUN}") as ws:
            await message(ws)
            while len(first) < 30:
                first += [e["seq"] for e in await events(ws)]
            ws.transport.abort()  # the connection drops, as networks do
        away = first[-1] + 60  # events go on while the client is away
        await until(lambda: runtime.state.last_event_seq() > away)

        second: list[int] = []
        async with connect(f"{server.ws}?{SIGNAL_RUN}&after={first[-1]}") as ws:
            assert (await message(ws))["after"] == first[-1]
            live = runtime.state.last_event_seq() + 60  # past the replay, into live events
            while not second or second[-1] < live:
                second += [e["seq"] for e in await events(ws)]
            ws.transport.abort()
        flowing = False
        await emitter

        journal = runtime.state.events(after_seq=first[0] - 1, limit=100_000)
        expected = [r.seq for r in journal if r.kind in SIGNAL_KINDS and r.seq <= second[-1]]
        assert first + second == expected


def small_window_socket(port: int) -> socket.socket:
    """A client socket with a tiny receive buffer: a client that stops reading stalls the
    server's writes after a few kilobytes instead of megabytes."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


async def test_a_slow_client_is_disconnected_with_a_reason_and_can_resume(
    tmp_path: Path,
) -> None:
    limits = StreamLimits(capacity=8, hard_limit=32, close_grace=60)
    async with live_server(tmp_path, [agent("a")], limits=limits) as server:
        runtime = server.runtime
        sock = small_window_socket(server.port)
        url = f"{server.ws}?{SIGNAL_RUN}"
        async with connect(url, sock=sock, max_queue=1, compression=None) as ws:
            await message(ws)
            hub = stream_hub(server.app)
            [feed] = hub.feeds
            for _ in range(5_000):  # the client reads nothing meanwhile
                if feed.end is not None:
                    break
                await runtime.emit_signal("flood", "x" * 4_000)
                await asyncio.sleep(0)
            assert feed.end is EndReason.SLOW_CONSUMER
            assert feed.high_water <= limits.hard_limit  # the server's queue stayed bounded
            assert hub.feeds == []  # and is gone
            received: list[int] = []
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    received += [e["seq"] for e in await events(ws)]
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1013
            assert "too slow: fell more than 32 events behind" in closed.value.rcvd.reason

        journal = runtime.state.events(limit=100_000)
        every = [r.seq for r in journal if r.kind in SIGNAL_KINDS]
        assert received == every[: len(received)]  # nothing skipped before the close
        async with connect(f"{url}&after={received[-1]}") as ws:
            await message(ws)
            rest: list[int] = []
            while not rest or rest[-1] < every[-1]:
                rest += [e["seq"] for e in await events(ws)]
        assert received + rest == every


async def test_a_shutdown_closes_streams_with_going_away(tmp_path: Path) -> None:
    async with live_server(tmp_path, [agent("a")]) as server, connect(server.ws) as ws:
        await message(ws)
        stream_hub(server.app).shutdown()
        assert await closed_with(ws) == (1001, "the server is shutting down")
