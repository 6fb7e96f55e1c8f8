"""Embedded model benchmarks: the local LLM (SmolLM2 via llama.cpp) and the MiniLM embedder.

Run with `.venv/bin/python -m tests.bench.bench_local_model` (`--quick` for fewer repeats).

What is measured:

1. LLM, through `LocalProvider.stream` as an agent uses it: time to first token (prompt
   evaluation included; the KV cache is defeated with a fresh prompt per run), and generation
   speed from the first token to the last, in tokens per second, from the provider's own
   token counts. Also the one-time model load.
2. Embeddings, `MiniLMEmbedder.embed_sync`: sentences per second one at a time (batch 1, the
   latency of a single recall query) and in batches of 32 (indexing). Sentences are 8-24 words,
   like chat turns and memory notes.

Each figure is the median of several runs after a warm-up. Numbers depend on what else the
machine is doing; the table says how many cores were available.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from dataclasses import dataclass

from axo_tui.core.config.schema import ProviderConfig, ProviderKind
from axo_tui.core.embeddings.minilm import MiniLMEmbedder
from axo_tui.core.providers.base import ChatRequest, Completion, Message, TextDelta
from axo_tui.core.providers.local import LocalProvider, embedded_model_path

PHRASE = (
    "the agent reads a report about energy budgets and writes a short summary for its team "
    "while the coordinator assigns new tasks to workers who check memory before each call "
    "signals decay over time and a workflow finishes when every dependency has completed"
)
WORDS = PHRASE.split()


@dataclass
class Row:
    what: str
    value: float
    unit: str
    note: str = ""
    per_cpu_second: float | None = None
    """The same rate per second of CPU time this process got: on a machine shared with other
    work, wall-clock rates fall with the load, this one much less."""


def _sentences(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(8, 24))) + "." for _ in range(count)]


async def _one_generation(
    provider: LocalProvider, topic: str, max_tokens: int
) -> tuple[float, float, float, int]:
    request = ChatRequest(
        model="",
        messages=(Message("user", f"Write a long, detailed story about {topic}."),),
        max_tokens=max_tokens,
        temperature=0.7,
    )
    started = time.perf_counter()
    first: float | None = None
    final: Completion | None = None
    first_cpu = 0.0
    async for chunk in provider.stream(request):
        if isinstance(chunk, TextDelta) and first is None:
            first, first_cpu = time.perf_counter(), time.process_time()
        elif isinstance(chunk, Completion):
            final = chunk
    ended, ended_cpu = time.perf_counter(), time.process_time()
    assert final is not None and first is not None
    tokens = final.usage.completion_tokens
    # The first token is produced at `first`; the rest over (ended - first).
    speed = (tokens - 1) / (ended - first) if tokens > 1 else 0.0
    cpu_speed = (tokens - 1) / max(ended_cpu - first_cpu, 1e-9) if tokens > 1 else 0.0
    return first - started, speed, cpu_speed, final.usage.prompt_tokens


async def bench_llm(runs: int, max_tokens: int) -> list[Row]:
    provider = LocalProvider(ProviderConfig(name="local", kind=ProviderKind.LOCAL))
    started = time.perf_counter()
    provider._shared()  # load once, outside the timed generations
    load = time.perf_counter() - started
    await _one_generation(provider, "a warm-up", 8)
    topics = ["a lighthouse keeper", "a lost robot", "a mountain village", "an old ship",
              "a desert city", "a clockmaker", "a river otter", "a winter festival"]  # fmt: skip
    results = [
        await _one_generation(provider, topics[i % len(topics)], max_tokens) for i in range(runs)
    ]
    ttft = statistics.median(r[0] for r in results)
    speed = statistics.median(r[1] for r in results)
    cpu_speed = statistics.median(r[2] for r in results)
    prompt = results[0][3]
    name = embedded_model_path().name
    return [
        Row("LLM load (one time)", load * 1000, "ms", name),
        Row("LLM time to first token", ttft * 1000, "ms", f"prompt of {prompt} tokens"),
        Row(
            "LLM generation",
            speed,
            "tokens/s",
            f"{max_tokens} tokens, median of {runs}",
            cpu_speed,
        ),
    ]


def bench_embeddings(runs: int) -> list[Row]:
    embedder = MiniLMEmbedder()
    started = time.perf_counter()
    embedder.load()
    load = time.perf_counter() - started
    singles = _sentences(100, seed=1)
    batch = _sentences(512, seed=2)
    embedder.embed_sync(singles[:8])  # warm-up: BLAS threads, allocator
    one: list[tuple[float, float]] = []
    many: list[tuple[float, float]] = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        for sentence in singles:
            embedder.embed_sync([sentence])
        one.append(_rates(len(singles), wall, cpu))
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(batch), 32):
            embedder.embed_sync(batch[i : i + 32])
        many.append(_rates(len(batch), wall, cpu))
    return [
        Row("MiniLM load (one time)", load * 1000, "ms"),
        Row("MiniLM batch 1", *_median(one, "sentences/s", "8-24 words, 1 thread")),
        Row("MiniLM batch 32", *_median(many, "sentences/s", "8-24 words, 1 thread per core")),
    ]


def _rates(count: int, wall_start: float, cpu_start: float) -> tuple[float, float]:
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    return count / wall, count / max(cpu, 1e-9)


def _median(
    rates: list[tuple[float, float]], unit: str, note: str
) -> tuple[float, str, str, float]:
    wall = statistics.median(rate for rate, _ in rates)
    cpu = statistics.median(rate for _, rate in rates)
    return wall, unit, note, cpu


def _print(rows: list[Row]) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    # On a shared machine the load explains most of the variation between runs.
    print(f"embedded models on {cores} cores, load average {load} (1/5/15 min)")
    width = max(len(row.what) for row in rows)
    print(f"{'measure':<{width}}  {'value':>10}  {'unit':<12} {'per CPU-s':>10}  note")
    print(f"{'-' * width}  {'-' * 10}  {'-' * 12} {'-' * 10}  {'-' * 30}")
    for row in rows:
        per_cpu = f"{row.per_cpu_second:.1f}" if row.per_cpu_second is not None else ""
        print(f"{row.what:<{width}}  {row.value:>10.1f}  {row.unit:<12} {per_cpu:>10}  {row.note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, shorter generations")
    args = parser.parse_args()
    runs = 2 if args.quick else 5
    rows = asyncio.run(bench_llm(runs, 64 if args.quick else 128))
    rows += bench_embeddings(1 if args.quick else 3)
    _print(rows)


if __name__ == "__main__":
    main()
