"""A failure to store a memory never drops it: it stays pending, is tried again with a
warning, and what still could not be stored is stored by the next process."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

import axo_tui.core.memory.service as service
from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.embeddings.base import Vectors
from axo_tui.core.memory.service import AgentMemory
from tests.support.embedders import HashEmbedder

AGENT = AgentConfig(id="a")


class FailingFirst(HashEmbedder):
    """Fails its first `failures` calls the way the numpy import race did, then works."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        if self.failures > 0:
            self.failures -= 1
            raise ImportError("cannot import name 'NDArray' from partially initialized module")
        return super().embed_sync(texts)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "STORE_RETRY_SECS", 0.01)


def remember(memory: AgentMemory, text: str) -> None:
    memory.remember_exchange(AGENT, user=text, reply="Noted.", session_id="s1", run_id=None)


async def test_a_failed_store_is_tried_again_and_the_exchange_stored(tmp_path: Path) -> None:
    notices: list[str] = []
    memory = AgentMemory(
        tmp_path, embedder=FailingFirst(1), notify=lambda _agent, message: notices.append(message)
    )
    remember(memory, "The boat is blue.")
    await memory.flush()
    assert memory.semantic.count("a") == 1
    assert memory.spool.load() == []
    assert len(notices) == 1
    assert "partially initialized module" in notices[0]
    assert "stay pending, trying again" in notices[0]
    hits = await memory.search("a", "boat colour", 1)  # recall stayed on
    assert [(hit.text, hit.reply) for hit in hits] == [("The boat is blue.", "Noted.")]
    await memory.aclose()


async def test_exchanges_survive_a_store_that_keeps_failing(tmp_path: Path) -> None:
    notices: list[str] = []
    broken = AgentMemory(
        tmp_path,
        embedder=FailingFirst(service.STORE_ATTEMPTS),
        notify=lambda _agent, message: notices.append(message),
    )
    remember(broken, "The boat is blue.")
    remember(broken, "The car is red.")
    await broken.flush()
    assert broken.semantic.count("a") == 0
    assert "semantic recall is off until restart" in notices[-1]
    assert str(broken.spool.directory) in notices[-1]
    # Said after recall went off: still kept for the next process, not dropped.
    remember(broken, "The bike is green.")
    await asyncio.sleep(0)
    await broken.aclose()

    later = AgentMemory(tmp_path, embedder=HashEmbedder())
    hits = await later.search("a", "what colour is the bike", 3)
    assert later.semantic.count("a") == 3
    assert "The bike is green." in [hit.text for hit in hits]
    assert later.spool.load() == []
    await later.aclose()
