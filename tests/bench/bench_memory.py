"""Semantic recall: latency at 1k / 10k / 100k memories (query embedding included), disk use.

Run with `.venv/bin/python -m tests.bench.bench_memory` (or `make bench`). Options:
`--sizes 1000,10000,100000` (default), `--queries N` (default 60), `--quick` (1k and 10k
only, 30 queries: well under a minute).

What a turn pays for passive recall is one forward pass of the embedded MiniLM over the
user's message plus one chromadb query, so that is what "recall" times (goal: under 15 ms at
10k memories). Every query is a text never seen before and is embedded for real.

The stores are filled through the same path the memory service uses
(`SemanticMemory.add_many`: the same chromadb collection settings, documents and metadata),
but with synthetic vectors: random, L2-normalised, MiniLM's dimension. Embedding 100k texts
with MiniLM would take over ten minutes on two cores and tell nothing more about the index.
Random vectors are, if anything, a hard case for HNSW (no clusters to exploit). A few dozen
real memories (real MiniLM vectors) are planted among them, and "found" counts the queries
whose planted answer came back in the top 5: latency from an index that no longer finds
things would be worthless.

"passive" is what a turn runs (the current session excluded, `min_score` applied). numpy's
BLAS threads matter for one short text on a busy machine: the header shows
OPENBLAS_NUM_THREADS. "goal" judges the wall-time median of "recall".
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

from axo_tui.core.embeddings.base import Vectors
from axo_tui.core.embeddings.minilm import MiniLMEmbedder
from axo_tui.core.memory.semantic import PendingMemory, SemanticMemory

GOAL_MS = 15.0
FILL_BATCH = 2000
"""Memories per add_many while filling: large enough that chromadb's per-call cost vanishes."""
PLANTED = [
    ("The deploy moved to Tuesday next week.", "when is the deploy"),
    ("My sister lives in Berlin since March.", "where does my sister live"),
    ("Our cat is called Miso and she is grey.", "what is the cat's name"),
    ("The database got slow because it needs a new index.", "why did the database get slow"),
    ("Ada prefers short answers without bullet points.", "how should you answer Ada"),
    ("The build server runs out of disk on Fridays.", "what goes wrong with the build server"),
]


LONG = " ".join(
    ["Here is the log from last night, pasted as it came out of the terminal:"]
    + [
        f"line {n}: worker {n % 7} finished step {n} in {n * 13 % 97} ms, no errors."
        for n in range(24)
    ]
)
"""A long user message: MiniLM's cost grows with the text, so a turn's worst case differs."""


class SyntheticFill:
    """The embedder the store sees: prepared vectors for the fill texts, MiniLM otherwise."""

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


def fill(store: SemanticMemory, fake: SyntheticFill, size: int, model: MiniLMEmbedder) -> float:
    """Store `size` memories (the planted ones spread among them); returns seconds taken."""
    rng = np.random.default_rng(7)
    planted = {
        (index + 1) * size // (len(PLANTED) + 1): text for index, (text, _) in enumerate(PLANTED)
    }
    texts = list(planted.values())
    planted_vectors = dict(zip(texts, model.embed_sync(texts), strict=True))
    started = time.perf_counter()
    for start in range(0, size, FILL_BATCH):
        count = min(FILL_BATCH, size - start)
        vectors = rng.standard_normal((count, fake.dimension)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        entries = []
        for offset in range(count):
            index = start + offset
            text = planted.get(index) or (
                f"user: note {index} about item {index % 977} in batch {index // 97}\n"
                f"assistant: Noted: item {index % 977} is filed under shelf {index % 31}."
            )
            fake.table[text] = planted_vectors.get(text, vectors[offset])
            meta: dict[str, str | float | int | bool] = {
                "session_id": f"s{index % 50}",
                "run_id": "",
                "day": "2025-01-01",
                "kind": "exchange",
            }
            entries.append(PendingMemory(f"m{index:07d}", "bench", text, meta))
        store.add_many(entries)
        fake.table.clear()
    return time.perf_counter() - started


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_size(size: int, queries: int, model: MiniLMEmbedder) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="axo-bench-memory-"))
    try:
        fake = SyntheticFill(model)
        store = SemanticMemory(root / "semantic", embedder=fake)
        fill_s = fill(store, fake, size, model)
        # The first passive recall reads the sessions present once; a turn pays it once a
        # process, not per query, so it is kept out of the figures.
        store.search("bench", "warm up", 5, min_score=0.15, exclude_session="s1")
        embed_ms, recall_ms, passive_ms, long_ms = [], [], [], []
        found = 0
        for index in range(queries):
            text, question = PLANTED[index % len(PLANTED)]
            query = f"{question}? (asked {index})"  # never the same text twice: no caching
            t0 = time.perf_counter()
            model.embed_sync([query])
            t1 = time.perf_counter()
            hits = store.search("bench", query + " ", 5)
            t2 = time.perf_counter()
            store.search("bench", query + "  ", 5, min_score=0.15, exclude_session="s1")
            t3 = time.perf_counter()
            store.search("bench", f"{LONG} {query}", 5, min_score=0.15, exclude_session="s1")
            long_ms.append((time.perf_counter() - t3) * 1000)
            embed_ms.append((t1 - t0) * 1000)
            recall_ms.append((t2 - t1) * 1000)
            passive_ms.append((t3 - t2) * 1000)
            found += any(hit.text == text for hit in hits)
        store.close()
        return {
            "fill_per_s": size / fill_s,
            "embed_p50": statistics.median(embed_ms),
            "recall_p50": statistics.median(recall_ms),
            "recall_p95": percentile(recall_ms, 0.95),
            "passive_p50": statistics.median(passive_ms),
            "long_p50": statistics.median(long_ms),
            "found": found / queries,
            "disk_mb": directory_size(root) / 1e6,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, 30 queries")
    args = parser.parse_args()
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes must be whole numbers separated by commas, got {args.sizes!r}")
    if args.quick:
        sizes = [s for s in sizes if s <= 10_000] or [1000]
    queries = 30 if args.quick else args.queries
    model = MiniLMEmbedder()
    started = time.perf_counter()
    model.load()
    print(
        f"MiniLM load: {(time.perf_counter() - started) * 1000:.0f} ms; "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
        f"cpus={os.cpu_count()}; load avg {os.getloadavg()[0]:.1f}; {queries} queries a size"
    )
    header = (
        f"| {'memories':>9} | {'fill/s':>7} | {'embed p50':>9} | {'recall p50':>10} | "
        f"{'recall p95':>10} | {'passive p50':>11} | {'long p50':>8} | {'found':>5} | "
        f"{'disk MB':>7} | "
        f"{'MB/10k':>6} | {'goal':>4} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for size in sizes:
        row = bench_size(size, queries, model)
        ok = "ok" if row["recall_p50"] <= GOAL_MS else "MISS"
        per_10k = row["disk_mb"] * 10_000 / size
        print(
            f"| {size:>9,} | {row['fill_per_s']:>7.0f} | {row['embed_p50']:>9.1f} | "
            f"{row['recall_p50']:>10.1f} | {row['recall_p95']:>10.1f} | "
            f"{row['passive_p50']:>11.1f} | {row['long_p50']:>8.1f} | {row['found']:>5.0%} | "
            f"{row['disk_mb']:>7.1f} | "
            f"{per_10k:>6.1f} | {ok:>4} |",
            flush=True,
        )
    print(
        "times in ms (wall). recall = MiniLM forward pass over the query + chromadb top-5; "
        "passive = the per-turn path (own session excluded, min_score 0.15); long = passive "
        f"for a {len(LONG.split())}-word message (embedded from its start and end); embed = "
        "the forward pass alone.\nThe stores were filled with synthetic vectors (random, "
        f"L2-normalised, {model.dimension} dimensions) through SemanticMemory.add_many, plus "
        f"{len(PLANTED)} planted real memories; only the queries were embedded with MiniLM. "
        "found = queries whose planted answer was in the top 5."
    )


if __name__ == "__main__":
    main()
