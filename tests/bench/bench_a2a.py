"""A2A round trips: messages/s and p50/p99 latency of a `SendMessage` to an axo agent on the
scripted provider (served by `axo serve`'s app on 127.0.0.1), for axo's client (`core.a2a.Peer`,
as a `provider: a2a` agent uses it) and for the a2a-sdk's client, in the same run.

Run with `.venv/bin/python -m tests.bench.bench_a2a [--seconds S]` (default 5 per row).
Client and server share this process and its loop: the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from axo_tui.core.config.schema import A2ASettings, MemorySettings, RecallSettings
from tests.serve.a2a.served_a2a import serve_a2a
from tests.support.builders import agent, make_config


async def measure(seconds: float, call: Callable[[int], Awaitable[None]]) -> list[float]:
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    index = 0
    while time.perf_counter() < end:
        start = time.perf_counter()
        await call(index)
        latencies.append(time.perf_counter() - start)
        index += 1
    return latencies


async def main(seconds: float) -> None:
    from a2a.client import ClientConfig, create_client
    from a2a.types import a2a_pb2 as pb

    from axo_tui.core.a2a.peer import Peer

    with tempfile.TemporaryDirectory() as tmp:
        memory = MemorySettings(recall=RecallSettings(passive_inject=False))
        config = make_config(
            Path(tmp), [agent("echo", a2a=A2ASettings(expose=True), memory=memory)]
        )
        async with serve_a2a(config, Path(tmp) / "data") as served:
            url = served.url("echo")
            peer = Peer("echo", url)

            async def axo_call(index: int) -> None:
                await peer.send(f"ping {index}", context_id=f"c{index}")

            async with httpx.AsyncClient() as http:
                sdk = await create_client(url, ClientConfig(httpx_client=http, streaming=False))

                async def sdk_call(index: int) -> None:
                    message = pb.Message(
                        message_id=f"m{index}",
                        role=pb.Role.ROLE_USER,
                        parts=[pb.Part(text=f"ping {index}")],
                    )
                    async for _ in sdk.send_message(pb.SendMessageRequest(message=message)):
                        pass

                await axo_call(-1)
                await sdk_call(-1)  # warm both up
                rows = [
                    ("axo client (stream)", await measure(seconds, axo_call)),
                    ("a2a-sdk client", await measure(seconds, sdk_call)),
                ]
            await peer.aclose()
    print(f"{'client':<22} {'msgs/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'n':>6}")
    for name, latencies in rows:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(
            f"{name:<22} {len(latencies) / sum(latencies):>8.1f} "
            f"{statistics.median(latencies) * 1000:>8.1f} {p99 * 1000:>8.1f} {len(latencies):>6}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    asyncio.run(main(parser.parse_args().seconds))
