"""Semantic recall: latency at 1k and 10k memories (query embedding included), disk use.

Run with `.venv/bin/python -m tests.bench.bench_memory` (or `make bench`). Options:
`--sizes 1000,10000` (default), `--queries N` (default 40), `--quick` (1k only, 15 queries).

What a turn pays for passive recall is one forward pass of the embedded MiniLM over the
user's message plus one chromadb query, so that is what "recall" times (goal: under 15 ms at
10k memories). The stores are filled with real MiniLM vectors of a few hundred distinct
texts, each reused with small noise: embedding 10k texts for real would take minutes and
tell nothing more about the index. "with filter" is the passive path, which excludes the
current session. numpy's BLAS threads matter for one short text on a busy machine: the
table shows OPENBLAS_NUM_THREADS; try `OPENBLAS_NUM_THREADS=1` for the other figure. "recall
cpu" is the CPU time of all the process's threads: steadier than wall time on a loaded
machine, but it adds up BLAS threads, so it exceeds wall time when they run in parallel.
"goal" judges the wall-time median.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from axo_tui.core.embeddings.base import Vectors, l2_normalise
from axo_tui.core.embeddings.minilm import MiniLMEmbedder
from axo_tui.core.memory.semantic import PendingMemory, SemanticMemory

GOAL_MS = 15.0
SUBJECTS = ["the deploy", "my sister", "the build server", "our cat", "the database", "Ada"]
FACTS = [
    "moved to Tuesday",
    "lives in Berlin",
    "runs out of disk on Fridays",
    "is called Miso",
    "needs a new index",
    "prefers short answers",
    "was fixed by rolling back",
    "likes dark teal",
]
QUERIES = [
    "when is the deploy?",
    "where does my sister live?",
    "what is the cat's name?",
    "why did the database get slow?",
    "how should you answer Ada?",
    "what went wrong with the build server last week?",
]


class Replay:
    """MiniLM for queries; precomputed MiniLM vectors for the texts that fill the store."""

    def __init__(self, model: MiniLMEmbedder) -> None:
        self.model = model
        self.table: dict[str, Vectors] = {}

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def dimension(self) -> int:
        return self.model.dimension

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        if texts and all(text in self.table for text in texts):
            return np.stack([self.table[text] for text in texts])
        return self.model.embed_sync(texts)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        return self.embed_sync(texts)


def corpus(size: int, model: MiniLMEmbedder, replay: Replay) -> list[PendingMemory]:
    bases = [
        f"user: {subject} {fact} (note {n})\nassistant: Noted, {subject} {fact}."
        for n in range(8)
        for subject in SUBJECTS
        for fact in FACTS
    ]
    base_vectors = model.embed_sync(bases)
    rng = np.random.default_rng(7)
    entries = []
    for index in range(size):
        base = index % len(bases)
        text = f"{bases[base]} #{index}"
        noisy = base_vectors[base] + rng.normal(0, 0.02, base_vectors.shape[1])
        replay.table[text] = l2_normalise(noisy[None, :].astype(np.float32))[0]
        meta: dict[str, str | float | int | bool] = {"session_id": f"s{index % 50}"}
        entries.append(PendingMemory(f"m{index:06d}", "bench", text, meta))
    return entries


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_size(size: int, queries: int, model: MiniLMEmbedder) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="axo-bench-memory-"))
    try:
        replay = Replay(model)
        entries = corpus(size, model, replay)
        store = SemanticMemory(root / "semantic", embedder=replay)
        started = time.perf_counter()
        for start in range(0, len(entries), 500):
            store.add_many(entries[start : start + 500])
        insert_s = time.perf_counter() - started
        store.search("bench", "warm up", 5)
        embed_ms, recall_ms, recall_cpu_ms, filtered_ms = [], [], [], []
        for index in range(queries):
            query = f"{QUERIES[index % len(QUERIES)]} ({index})"
            t0 = time.perf_counter()
            model.embed_sync([query])
            t1, c1 = time.perf_counter(), time.process_time()
            store.search("bench", f"{query}.", 5)
            t2, c2 = time.perf_counter(), time.process_time()
            store.search("bench", query, 5, min_score=0.15, exclude_session="s1")
            t3 = time.perf_counter()
            embed_ms.append((t1 - t0) * 1000)
            recall_ms.append((t2 - t1) * 1000)
            recall_cpu_ms.append((c2 - c1) * 1000)
            filtered_ms.append((t3 - t2) * 1000)
        store.close()
        return {
            "size": size,
            "insert_per_s": size / insert_s,
            "embed_p50": statistics.median(embed_ms),
            "recall_p50": statistics.median(recall_ms),
            "recall_p95": percentile(recall_ms, 0.95),
            "recall_cpu_p50": statistics.median(recall_cpu_ms),
            "filtered_p50": statistics.median(filtered_ms),
            "disk_mb": directory_size(root) / 1e6,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    queries = 15 if args.quick else args.queries
    model = MiniLMEmbedder()
    started = time.perf_counter()
    model.load()
    print(
        f"MiniLM load: {(time.perf_counter() - started) * 1000:.0f} ms; "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
        f"cpus={os.cpu_count()}; load avg {os.getloadavg()[0]:.1f}"
    )
    print(
        "recall = query embedding + chromadb top-5 (ms, wall); recall cpu = CPU time of all "
        "threads (steadier on a busy machine); filtered = the passive path"
    )
    header = (
        f"{'memories':>9} {'insert/s':>9} {'embed p50':>10} {'recall p50':>11} "
        f"{'recall p95':>11} {'recall cpu':>11} {'filtered p50':>13} {'disk MB':>8} "
        f"{'MB/10k':>7} {'goal':>9}"
    )
    print(header)
    for size in sizes:
        row = bench_size(size, queries, model)
        ok = "ok" if row["recall_p50"] <= GOAL_MS else "MISS"
        per_10k = row["disk_mb"] * 10_000 / size
        print(
            f"{size:>9} {row['insert_per_s']:>9.0f} {row['embed_p50']:>10.1f} "
            f"{row['recall_p50']:>11.1f} {row['recall_p95']:>11.1f} {row['recall_cpu_p50']:>11.1f} "
            f"{row['filtered_p50']:>13.1f} {row['disk_mb']:>8.1f} {per_10k:>7.1f} {ok:>9}",
            flush=True,
        )


if __name__ == "__main__":
    main()
