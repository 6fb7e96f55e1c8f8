"""WebSocket fan-out of `axo serve`: 200 subscribers at 2,000 events/s, no transcript event
lost, the server's memory flat.

Run with `.venv/bin/python -m tests.bench.bench_serve_stream` (or `make bench`). Options:
`--subscribers N` (default 200), `--rate R` events/s (default 2000), `--seconds S` of
emission (default 10).

This process is the server: the app of `axo serve` (create_app, uvicorn on 127.0.0.1) over a
started runtime, whose bus gets the events at the set rate, in 20 ms ticks: mostly token
deltas (`token.streamed`, transcript events, the busiest kind a real run emits) and every
tenth a journaled `signal.emitted`. The subscribers are another process (asyncio, the
`websockets` client), so the server's resident set is its own: it is read before the
subscribers connect, once they are connected, during the emission and after it. Each
subscriber (all with one filter: the emitter's agent and kinds, not the runtime's own
events) counts the events it got and checks their sequence numbers only increase; "lost"
is what was emitted times the subscribers, less what they received. On a two-core box
server and subscribers share the CPU; "achieved" is the rate the emitter kept up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvicorn

from axo_tui.core.config.schema import AgentConfig, Config, ProviderConfig, ProviderKind
from axo_tui.core.events.catalog import SignalEmitted, TokenStreamed
from axo_tui.core.runtime.build import build_runtime
from axo_tui.serve.http.app import create_app
from axo_tui.serve.http.host import ServeHost, ServeSettings
from axo_tui.serve.http.stream import stream_hub

TICK = 0.02
END = "bench.end"
SEQ = re.compile(r'"seq": (\d+)')
OWN_EVENTS = "agent=bench&kind=token.streamed&kind=signal.emitted"
"""The subscribers' filter: the emitter's events, not the runtime's own."""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------ subscribers
async def subscriber(url: str, connected: asyncio.Queue[None]) -> dict[str, int]:
    from websockets.asyncio.client import connect

    got = disorder = last = 0
    async with connect(url, compression=None, max_queue=64, ping_interval=None) as ws:
        await ws.recv()  # subscribed
        connected.put_nowait(None)
        async for raw in ws:
            assert isinstance(raw, str)
            for seq in map(int, SEQ.findall(raw)):
                disorder += seq <= last
                last = seq
                got += 1
            if END in raw:
                break
    return {"received": got, "disorder": disorder}


async def subscribers(url: str, count: int) -> None:
    connected: asyncio.Queue[None] = asyncio.Queue()
    tasks = [asyncio.create_task(subscriber(url, connected)) for _ in range(count)]
    for _ in range(count):
        await connected.get()
    print("ready", flush=True)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    counted = [r for r in results if isinstance(r, dict)]
    failures = [repr(r) for r in results if not isinstance(r, dict)]
    summary = {
        "received": sum(r["received"] for r in counted),
        "disorder": sum(r["disorder"] for r in counted),
        "failed": len(failures),
        "first_failure": failures[0] if failures else None,
    }
    print(json.dumps(summary), flush=True)


# ----------------------------------------------------------------------- server
async def emit(runtime: Any, rate: int, seconds: float) -> tuple[int, float]:
    """Emit `rate` events/s for `seconds` (then the end marker); returns (events, seconds)."""
    bus = runtime.bus  # a benchmark may drive the bus directly: no front end does
    per_tick = max(1, round(rate * TICK))
    emitted = 0
    loop = asyncio.get_running_loop()
    began = loop.time()
    ticks = round(seconds / TICK)
    for tick in range(ticks):
        for n in range(per_tick):
            if (emitted + 1) % 10 == 0:
                bus.emit(SignalEmitted, agent_id="bench", name="bench.tick", source="bench")
            else:
                bus.emit(TokenStreamed, agent_id="bench", activation_id="act", text=f"token {n} ")
            emitted += 1
        await asyncio.sleep(max(0.0, began + (tick + 1) * TICK - loop.time()))
    elapsed = loop.time() - began
    bus.emit(SignalEmitted, agent_id="bench", name=END, source="bench")
    return emitted + 1, elapsed


def config_in(directory: Path) -> Config:
    return Config(
        path=directory / "axo.yaml",
        agents=(AgentConfig(id="bench", provider="scripted"),),
        providers=(ProviderConfig(name="scripted", kind=ProviderKind.SCRIPTED),),
    )


async def serve_and_measure(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with build_runtime(config_in(Path(tmp)), data_dir=Path(tmp) / "data") as runtime:
            app = create_app(ServeHost(runtime, ServeSettings(port=0)))
            server = uvicorn.Server(
                uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
            )
            serving = asyncio.create_task(server.serve())
            while not server.started:
                await asyncio.sleep(0.01)
            port = server.servers[0].sockets[0].getsockname()[1]
            rss = {"idle": rss_mb()}
            clients = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.bench.bench_serve_stream",
                "--subscribe",
                f"ws://127.0.0.1:{port}/ws?{OWN_EVENTS}",
                "--subscribers",
                str(args.subscribers),
                stdout=subprocess.PIPE,
            )
            assert clients.stdout is not None
            assert (await clients.stdout.readline()).strip() == b"ready"
            rss["connected"] = rss_mb()
            hub = stream_hub(app)
            feeds = hub.feeds
            sampler = asyncio.create_task(sample_rss(rss))
            emitted, elapsed = await emit(runtime, args.rate, args.seconds)
            sampler.cancel()
            summary = json.loads(await clients.stdout.readline())
            await clients.wait()
            rss["after"] = rss_mb()
            result = {
                "emitted": emitted,
                "achieved": (emitted - 1) / elapsed,
                "rss": rss,
                "high_water": max((f.high_water for f in feeds), default=0),
                "hard_limit": hub.limits.hard_limit,
                "dropped_slow": sum(1 for f in feeds if f.end is not None),
                **summary,
            }
            hub.shutdown()
            server.should_exit = True
            await serving
            return result


async def sample_rss(rss: dict[str, float]) -> None:
    peak = rss_mb()
    while True:
        await asyncio.sleep(0.5)
        peak = max(peak, rss_mb())
        rss["peak during"] = peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--subscribe", help=argparse.SUPPRESS)  # the subscribers' process
    args = parser.parse_args()
    if args.subscribe:
        asyncio.run(subscribers(args.subscribe, args.subscribers))
        return
    began = time.perf_counter()
    result = asyncio.run(serve_and_measure(args))
    expected = result["emitted"] * args.subscribers
    lost = expected - result["received"]
    print(
        f"\n{args.subscribers} WebSocket subscribers, {args.rate} events/s asked for "
        f"{args.seconds:g} s ({time.perf_counter() - began:.0f} s in all)\n"
    )
    rows = [
        ("events emitted (each to every subscriber)", f"{result['emitted']}"),
        ("rate achieved, events/s", f"{result['achieved']:.0f}"),
        ("deliveries expected", f"{expected}"),
        ("transcript events lost", f"{lost}"),
        ("out of order or duplicated", f"{result['disorder']}"),
        (
            "subscribers failed / disconnected as slow",
            f"{result['failed']} / {result['dropped_slow']}",
        ),
        ("largest queue (events; limit)", f"{result['high_water']} ({result['hard_limit']})"),
    ]
    rows += [(f"server RSS MB, {name}", f"{value:.1f}") for name, value in result["rss"].items()]
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | {'value':>12} |")
    print(f"|{'-' * (width + 2)}|{'-' * 14}|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value:>12} |")
    if result["first_failure"]:
        print(f"\nfirst subscriber failure: {result['first_failure']}")


if __name__ == "__main__":
    main()
