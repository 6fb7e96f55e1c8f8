"""axo's MCP client: tool-call round trips against a bare SDK client, and connect/close cycles.

Run with `.venv/bin/python -m tests.bench.bench_mcp` (or `make bench`). Options: `--calls N`
timed calls per client and transport (default 500), `--cycles N` connect -> call -> close
cycles over HTTP (default 1000), `--stdio-cycles N` the same over stdio (default 100: each
spawns a process).

Round trip: the same SDK server (tests/support/mcp_fixture_server.py), over stdio and over
streamable HTTP, called with `echo` by axo's `McpConnection` (the call is handed to the
session's owner task) and by a bare `mcp.Client` in the same run, the calls interleaved so
both see the same machine. Goal: axo at most 10% over the bare client at p50.
Cycles: RSS and open file descriptors of this process before and after. Goal: flat.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import McpServerConfig, McpTransport
from axo_tui.core.tools.mcp.connection import McpConnection, ServerState

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "support" / "mcp_fixture_server.py"
LIGHT = REPO / "tests" / "support" / "bad_mcp_server.py"


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds() -> int:
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def start_http_fixture() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, str(FIXTURE), "http"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline().split()[1])
    return process, f"http://127.0.0.1:{port}/mcp"


async def started(config: McpServerConfig) -> McpConnection:
    connection = McpConnection(config, project_dir=REPO)
    connection.start()
    await connection.wait_started()
    if connection.state is not ServerState.READY:
        raise SystemExit(f"the fixture server did not start: {connection.error}")
    return connection


async def round_trips(config: McpServerConfig, target: Any, calls: int) -> dict[str, list[float]]:
    from mcp import Client

    connection = await started(config)
    timings: dict[str, list[float]] = {"axo": [], "bare SDK": []}
    try:
        async with Client(target, mode="legacy", cache=None) as bare:

            async def axo_call() -> object:
                return await connection.call("echo", {"text": "ping"})

            async def bare_call() -> object:
                return await bare.call_tool("echo", {"text": "ping"})

            runners: dict[str, Callable[[], Awaitable[object]]] = {
                "axo": axo_call,
                "bare SDK": bare_call,
            }
            for _ in range(20):  # warm both paths up
                for run in runners.values():
                    await run()
            for index in range(calls):
                order = list(runners.items())
                if index % 2:
                    order.reverse()  # neither goes first every time
                for name, run in order:
                    began = time.perf_counter()
                    await run()
                    timings[name].append((time.perf_counter() - began) * 1000)
    finally:
        await connection.aclose()
    return timings


async def cycles(config: McpServerConfig, count: int) -> tuple[int, int, int, int, float]:
    async def one() -> None:
        connection = McpConnection(config, project_dir=REPO)
        connection.start()
        await connection.call("echo", {"text": "cycle"})
        await connection.aclose()

    for _ in range(5):
        await one()  # imports, caches and pools settle before the first reading
    rss0, fds0 = rss_kib(), open_fds()
    began = time.perf_counter()
    for _ in range(count):
        await one()
    elapsed = time.perf_counter() - began
    return rss0, rss_kib(), fds0, open_fds(), elapsed


async def main(args: argparse.Namespace) -> None:
    from mcp import StdioServerParameters

    http_process, url = start_http_fixture()
    try:
        stdio = McpServerConfig(id="bench", command=sys.executable, args=(str(FIXTURE), "stdio"))
        http = McpServerConfig(id="bench", transport=McpTransport.HTTP, url=url)
        print(f"tool-call round trip, ms ({args.calls} calls each, interleaved)")
        print(f"{'transport':<10} {'client':<9} {'p50':>7} {'p99':>7} {'mean':>7}  over bare p50")
        for name, config, target in (
            (
                "stdio",
                stdio,
                StdioServerParameters(command=sys.executable, args=[str(FIXTURE), "stdio"]),
            ),
            ("http", http, url),
        ):
            timings = await round_trips(config, target, args.calls)
            bare = statistics.median(timings["bare SDK"])
            for client, values in timings.items():
                p50 = statistics.median(values)
                over = f"{(p50 / bare - 1) * 100:+.1f}%" if client == "axo" else ""
                print(
                    f"{name:<10} {client:<9} {p50:7.3f} {percentile(values, 0.99):7.3f} "
                    f"{statistics.fmean(values):7.3f}  {over}"
                )
        print()
        print("connect -> call -> close cycles")
        print(
            f"{'transport':<10} {'cycles':>6} {'RSS start':>10} {'RSS end':>10} {'fds':>9} {'s':>6}"
        )
        light = McpServerConfig(id="light", command=sys.executable, args=(str(LIGHT), "good"))
        for name, config, count in (
            ("http", http, args.cycles),
            ("stdio", light, args.stdio_cycles),
        ):
            if count <= 0:
                continue
            rss0, rss1, fds0, fds1, elapsed = await cycles(config, count)
            print(
                f"{name:<10} {count:>6} {rss0 / 1024:8.1f}MB {rss1 / 1024:8.1f}MB "
                f"{fds0:>4}->{fds1:<4} {elapsed:6.1f}"
            )
    finally:
        http_process.kill()
        http_process.wait()
        if http_process.stdout is not None:
            http_process.stdout.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--stdio-cycles", type=int, default=100)
    asyncio.run(main(parser.parse_args()))
