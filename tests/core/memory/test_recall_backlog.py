"""After a wide fan-out a process inherits a long backlog of memories to store. A recall
stores only what it can find (its agent's own backlog and the shared one) before it
searches; the other agents' backlog is stored afterwards, in the background."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.embeddings.base import Vectors
from axo_tui.core.memory.service import AgentMemory
from tests.support.embedders import HashEmbedder


class Recording(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        self.batches.append(list(texts))
        return super().embed_sync(texts)


async def test_a_recall_stores_its_own_backlog_first_and_the_rest_later(tmp_path: Path) -> None:
    earlier = AgentMemory(tmp_path, embedder=HashEmbedder())
    for index in range(40):  # a fan-out: forty agents, one memory each
        worker = AgentConfig(id=f"worker-{index:02d}")
        earlier.remember_exchange(
            worker, user=f"task {index} done", reply="ok", session_id="run-1", run_id="r1"
        )
    me = AgentConfig(id="me")
    earlier.remember_exchange(
        me, user="The release is on Friday.", reply="Noted.", session_id="chat-1", run_id=None
    )
    await earlier.aclose()  # nothing recalled: all of it is left in the spool
    assert len(earlier.spool.load()) == 41

    embedder = Recording()
    later = AgentMemory(tmp_path, embedder=embedder)
    section = await later.recall_section(me, "when is the release?", "chat-2")
    assert "The release is on Friday." in section
    assert embedder.batches[0] == ["The release is on Friday."]  # its own, and nothing else
    await later.flush()  # the rest is stored in the background
    stored = [text for batch in embedder.batches for text in batch]
    assert {f"task {index} done" for index in range(40)} <= set(stored)
    assert later.spool.load() == []
    await later.aclose()


class Gated(HashEmbedder):
    """Holds every batch until `go` is set: a background store caught in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()
        self.started = threading.Event()

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        self.started.set()
        self.go.wait(10)
        return super().embed_sync(texts)


async def test_a_recall_waits_for_its_memories_the_background_store_took(
    tmp_path: Path,
) -> None:
    """A recall must find what its agent said, even when the background drain had taken
    those memories from the queue and was still storing them (a loaded machine)."""
    earlier = AgentMemory(tmp_path, embedder=HashEmbedder())
    me = AgentConfig(id="me")
    earlier.remember_exchange(
        me, user="The release is on Friday.", reply="Noted.", session_id="chat-1", run_id=None
    )
    await earlier.aclose()

    embedder = Gated()
    later = AgentMemory(tmp_path, embedder=embedder)
    later._catch_up()
    later._recall_used = True
    flushing = asyncio.ensure_future(later.flush())  # the drain takes `me`'s memory
    await asyncio.to_thread(embedder.started.wait, 10)
    recall = asyncio.ensure_future(later.recall_section(me, "when is the release?", "chat-2"))
    await asyncio.sleep(0.05)
    assert not recall.done()  # it waits for the batch in flight, not searching without it
    embedder.go.set()
    assert "The release is on Friday." in await recall
    await flushing
    await later.aclose()
