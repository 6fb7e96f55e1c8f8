"""WASM agents: instantiate from the module cache (p50), ping-pong ACL messages per second
between two agents in one process, and N idle small agents (their RSS and deploy time).

Run with `.venv/bin/python -m tests.bench.bench_wasm` (or `make bench`). Options:
`--seconds S` of ping-pong (default 3), `--agents N` idle agents (default 1,000; `--full`
is 10,000, the issue's figure), `--guests wat,c,as` which ping-pong pairs to run (C and
AssemblyScript need `make examples`-built modules from tests/support/wasm_guests; default:
wat, plus whichever of those are built). Goals: instantiate p50 <= 1 ms, ping-pong >=
20,000 msgs/s, 10,000 idle agents <= 2 GB RSS.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from axo_tui.core.acl import AclMessage, AclRouter, Performative
from axo_tui.core.wasm.host import WasmHost
from axo_tui.core.wasm.instance import GuestInstance
from axo_tui.core.wasm.limits import WasmLimits
from tests.core.wasm import guests

PING = {"performative": "request", "receiver": "pong", "content": "ping"}
PONG = {"performative": "inform", "receiver": "ping", "content": "pong"}


def rss_mb() -> float:
    with open("/proc/self/status") as status:  # noqa: PTH123 - procfs
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def instantiate_p50(data_dir: Path, rounds: int = 2000) -> tuple[float, float]:
    host = WasmHost(AclRouter(), data_dir=data_dir)
    module = guests.replier(PONG)
    host.engine.compile(module)  # compiled and cached on disk
    fresh = WasmHost(AclRouter(), data_dir=data_dir)  # a new process would start like this
    started = time.perf_counter()
    compiled = fresh.engine.compile(module)  # from the disk cache
    first_ms = (time.perf_counter() - started) * 1000
    agent_stub = host  # services are not called while instantiating
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        GuestInstance(fresh.engine, compiled, "x", WasmLimits(), agent_stub)  # type: ignore[arg-type]
        times.append((time.perf_counter() - t) * 1000)
    host.close()
    fresh.close()
    return first_ms, statistics.median(times)


def ping_pong(ping: bytes, pong: bytes, seconds: float, data_dir: Path) -> float:
    router = AclRouter()
    count = [0]

    def observe(_message: AclMessage) -> None:
        count[0] += 1

    router.observe(observe)
    host = WasmHost(router, data_dir=data_dir, workers=2)
    host.start(restore=False)
    host.deploy("ping", ping, persist=False)
    host.deploy("pong", pong, persist=False)
    router.send(AclMessage(Performative.REQUEST, "pong", ("ping",), "go"))
    time.sleep(0.3)  # warm up
    before, started = count[0], time.perf_counter()
    time.sleep(seconds)
    rate = (count[0] - before) / (time.perf_counter() - started)
    host.close()
    return rate


def idle_agents(n: int, data_dir: Path) -> tuple[float, float]:
    host = WasmHost(AclRouter(), data_dir=data_dir)
    host.start(restore=False)
    module = guests.silent()
    base = rss_mb()
    started = time.perf_counter()
    for i in range(n):
        host.deploy(f"idle{i}", module, WasmLimits(memory_mb=1), persist=False)
    took = time.perf_counter() - started
    grown = rss_mb() - base
    host.close()
    return grown, took


def row(name: str, value: str, goal: str) -> None:
    print(f"| {name:<44} | {value:>14} | {goal:>12} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--full", action="store_true", help="10,000 idle agents")
    parser.add_argument("--guests", default="wat")
    args = parser.parse_args()
    n = 10_000 if args.full else args.agents
    pairs: dict[str, Callable[[], tuple[bytes, bytes]]] = {
        "wat": lambda: (guests.replier(PING), guests.replier(PONG)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"| {'measure':<44} | {'value':>14} | {'goal':>12} |")
        print(f"|{'-' * 46}|{'-' * 16}|{'-' * 14}|")
        first, p50 = instantiate_p50(root / "a")
        row("load a cached module (first, ms)", f"{first:.2f}", "-")
        row("instantiate from the cache, p50 (ms)", f"{p50:.3f}", "<= 1")
        for name in args.guests.split(","):
            make = pairs.get(name)
            if make is None:
                row(f"ping-pong {name} (not built here)", "-", ">= 20,000")
                continue
            ping, pong = make()
            rate = ping_pong(ping, pong, args.seconds, root / f"p-{name}")
            row(f"ping-pong {name}, ACL msgs/s", f"{rate:,.0f}", ">= 20,000")
        grown, took = idle_agents(n, root / "i")
        row(
            f"{n:,} idle agents: RSS growth (MB)",
            f"{grown:,.0f}",
            "<= 2,048" if n == 10_000 else f"<= {2048 * n // 10_000:,}",
        )
        row(f"{n:,} idle agents: deploy time (s)", f"{took:.2f}", "-")


if __name__ == "__main__":
    main()
