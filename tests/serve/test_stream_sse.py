"""`GET /api/events/stream` (Server-Sent Events) over a real socket with httpx: the event
format, filters, resume with Last-Event-ID, a slow client's last `event: error`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from axo_tui.serve.http.stream import stream_hub
from axo_tui.serve.http.stream_feed import EndReason, StreamLimits
from tests.support.builders import agent
from tests.support.live_server import live_server


async def sse(response: httpx.Response) -> AsyncIterator[dict[str, str]]:
    """The stream's messages, each as its fields (`id`, `event`, `data`)."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if not line:
            if fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


async def test_events_come_as_sse_with_their_seq_as_id_and_resume_from_it(
    tmp_path: Path,
) -> None:
    async with live_server(tmp_path, [agent("a"), agent("b")]) as server:
        runtime = server.runtime
        url = f"{server.http}/api/events/stream"
        async with httpx.AsyncClient(timeout=10) as client:
            wanted = {"agent": "b", "kind": "agent.*"}
            async with client.stream("GET", url, params=wanted) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                await runtime.run_agent("a", "hi")
                done = await runtime.run_agent("b", "hi")
                journaled = [
                    r.to_dict()
                    for r in runtime.state.events(agents=["b"])
                    if r.kind.startswith("agent.")
                ]
                got = []
                async for message in sse(response):
                    if "data" in message:
                        got.append(message)
                    if len(got) == len(journaled):
                        break
            assert [json.loads(m["data"]) for m in got] == journaled
            assert [int(m["id"]) for m in got] == [e["seq"] for e in journaled]
            assert {e["run_id"] for e in journaled} == {done.run_id}

            # A browser reconnects with the last id it saw: it gets the rest, once.
            headers = {"Last-Event-ID": got[0]["id"]}
            async with client.stream("GET", url, params=wanted, headers=headers) as resp:
                rest = []
                async for message in sse(resp):
                    if "data" in message:
                        rest.append(json.loads(message["data"]))
                    if len(rest) == len(journaled) - 1:
                        break
            assert rest == journaled[1:]


async def test_bad_filters_get_a_json_error(tmp_path: Path) -> None:
    async with live_server(tmp_path, [agent("a")]) as server:
        url = f"{server.http}/api/events/stream"
        async with httpx.AsyncClient(timeout=10) as client:
            unknown = await client.get(url, params={"kind": "agent.exploded"})
            assert unknown.status_code == 422
            assert "unknown event kind 'agent.exploded'" in unknown.json()["error"]["message"]
            run = await client.get(url, params={"run": "nosuchrun"})
            assert run.status_code == 404
            assert run.json() == {"error": {"code": "not_found", "message": "no run 'nosuchrun'"}}
            after = await client.get(url, headers={"Last-Event-ID": "yesterday"})
            assert after.status_code == 422
            assert "last-event-id" in after.json()["error"]["message"]


async def test_a_slow_sse_client_gets_a_last_error_event(tmp_path: Path) -> None:
    limits = StreamLimits(capacity=8, hard_limit=32, close_grace=60)
    async with live_server(tmp_path, [agent("a")], limits=limits) as server:
        runtime = server.runtime
        async with httpx.AsyncClient(timeout=10) as client:
            url = f"{server.http}/api/events/stream"
            signal_runs = {"kind": ["run.started", "signal.emitted", "run.completed"]}
            async with client.stream("GET", url, params=signal_runs) as response:
                [feed] = stream_hub(server.app).feeds
                for _ in range(5_000):  # the client reads nothing meanwhile
                    if feed.end is not None:
                        break
                    await runtime.emit_signal("flood", "x" * 4_000)
                    await asyncio.sleep(0)
                assert feed.end is EndReason.SLOW_CONSUMER
                assert feed.high_water <= limits.hard_limit
                messages = [m async for m in sse(response)]  # the server ends the stream
        seqs = [int(m["id"]) for m in messages if "id" in m]
        journal = runtime.state.events(limit=100_000)
        every = [r.seq for r in journal if r.kind in signal_runs["kind"]]
        assert seqs == every[: len(seqs)]  # nothing skipped before the end
        last = messages[-1]
        assert last["event"] == "error"
        error = json.loads(last["data"])["error"]
        assert error["code"] == "slow_consumer"
        assert "reconnect with after=" in error["message"]


async def test_the_stream_wants_the_token_like_every_route(tmp_path: Path) -> None:
    async with live_server(tmp_path, [agent("a")], tokens=("s3cret",)) as server:
        url = f"{server.http}/api/events/stream"
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.get(url)).status_code == 401
            wrong = {"Authorization": "Bearer nope"}
            assert (await client.get(url, headers=wrong)).status_code == 401
            right = {"Authorization": "Bearer s3cret"}
            async with client.stream("GET", url, headers=right) as response:
                assert response.status_code == 200
                stream_hub(server.app).shutdown()
                messages = [m async for m in sse(response)]
        assert messages[-1]["event"] == "error"
        assert json.loads(messages[-1]["data"])["error"]["code"] == "shutting_down"
