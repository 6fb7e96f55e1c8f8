"""`axo serve` under load: requests/s with p50 and p99 latency for GET of runs with 10,000
runs in the journal and for POST /api/agents/{id}/execute on the scripted provider, and the
time from `axo serve` to ready.

Run with `.venv/bin/python -m tests.bench.bench_serve` (or `make bench`). Options:
`--seconds S` per load row (default 5), `--clients N` concurrent keep-alive connections
(default 8), `--starts N` timed start-ups (default 5).

The server is a real `axo serve` process on 127.0.0.1; the load comes from this process
(httpx, asyncio). On a two-core box both share the CPU, so the figures are a floor for what
a client on another machine would see. "ready" is from starting the process to the first
200 from /health: what a systemd unit or a script waiting on the port experiences.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from axo_tui.core.base.enums import RunStatus
from axo_tui.core.store.journal import Journal

PROJECT = """\
name: bench
agents:
  - id: writer
    provider: scripted
    memory: {recall: {passive_inject: false}}
"""
RUNS = 10_000
URL = re.compile(r"listening on (http://\S+)")


def axo_command() -> list[str]:
    script = shutil.which("axo", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-c", "from axo_tui.cli.main import run; run()"]


def seed(directory: Path) -> Path:
    config = directory / "axo.yaml"
    config.write_text(PROJECT, encoding="utf-8")
    journal = Journal(directory / ".axo" / "axo.db")
    with journal.batch():
        for n in range(RUNS):
            run_id = f"bench{n:016d}"
            journal.create_run(run_id, "agent", "writer", f"question {n}")
            journal.finish_run(run_id, RunStatus.COMPLETED, f"answer {n}")
    journal.close()
    return config


def start(config: Path) -> tuple[subprocess.Popen[str], str, float]:
    began = time.perf_counter()
    process = subprocess.Popen(
        [*axo_command(), "--config", str(config), "serve", "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    found = URL.search(process.stderr.readline())
    if found is None:
        process.kill()
        raise SystemExit("axo serve did not start")
    url = found.group(1)
    while httpx.get(f"{url}/health").status_code != 200:
        time.sleep(0.005)
    return process, url, (time.perf_counter() - began) * 1000


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(30)
    if process.stderr is not None:
        process.stderr.close()


async def load(
    url: str, method: str, path: str, body: object, clients: int, seconds: float
) -> list[float]:
    """Keep-alive connections sending one request after another, with a bare HTTP/1.1
    client: httpx would cost the shared CPU more than the server does."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    payload = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    if payload:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    request = head.encode() + b"\r\n" + payload
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
            if b" 200 " not in status_line:
                raise SystemExit(f"{method} {path}: {status_line!r}")
        writer.close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies


def row(name: str, latencies: list[float], seconds: float) -> str:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"| {name:<48} | {len(ordered) / seconds:>8.0f} | {p50:>8.1f} | {p99:>8.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = seed(Path(tmp))
        readies = []
        for _ in range(args.starts):
            process, _url, ready = start(config)
            readies.append(ready)
            stop(process)
        process, url, _ = start(config)
        try:
            rows = [
                ("GET /api/runs (limit 20, 10k in the journal)", "GET", "/api/runs?limit=20", None),
                (
                    "GET /api/runs (limit 1000, 10k in the journal)",
                    "GET",
                    "/api/runs?limit=1000",
                    None,
                ),
                (
                    "POST /api/agents/writer/execute (scripted)",
                    "POST",
                    "/api/agents/writer/execute",
                    {"input": "hi"},
                ),
            ]
            print(f"\n{args.clients} clients, {args.seconds:.0f} s a row\n")
            print(f"| {'request':<48} | {'req/s':>8} | {'p50 ms':>8} | {'p99 ms':>8} |")
            print(f"|{'-' * 50}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")
            for name, method, path, body in rows:
                latencies = asyncio.run(load(url, method, path, body, args.clients, args.seconds))
                print(row(name, latencies, args.seconds), flush=True)
        finally:
            stop(process)
    print(
        f"\n| {'axo serve to ready':<48} | median {statistics.median(readies):>6.0f} ms | "
        f"min {min(readies):>6.0f} ms | max {max(readies):>6.0f} ms |"
    )


if __name__ == "__main__":
    main()
