"""Tier 4 storage: chromadb with explicit vectors, embedder checks, forgetting, the spool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.embeddings.base import Vectors
from axo_tui.core.memory.semantic import (
    PendingMemory,
    SemanticMemory,
    SemanticMemoryError,
    collection_name,
)
from axo_tui.core.memory.service import AgentMemory
from tests.support.embedders import HashEmbedder


def test_vectors_come_from_our_embedder_never_chromadbs(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    store = SemanticMemory(tmp_path / "s", embedder=embedder)
    store.add("a", ["the deploy key lives in the vault", "lunch is at noon"])
    hits = store.search("a", "where is the deploy key?", 2)
    assert hits[0].text == "the deploy key lives in the vault"
    assert 0 < hits[1].score < hits[0].score <= 1
    assert embedder.calls == 2
    collection = store._open().get_collection(collection_name("a"), embedding_function=None)
    assert collection.metadata["embedder"] == "test:hash"
    assert collection.metadata["dimension"] == 64
    assert collection.configuration["embedding_function"] is None
    store.close()


def test_another_embedder_is_refused_rather_than_mixed(tmp_path: Path) -> None:
    first = SemanticMemory(tmp_path / "s", embedder=HashEmbedder("test:hash", 64))
    first.add("a", ["a fact"])
    first.close()
    other = SemanticMemory(tmp_path / "s", embedder=HashEmbedder("test:other", 32))
    with pytest.raises(SemanticMemoryError) as error:
        other.search("a", "fact", 3)
    message = str(error.value)
    assert "holds vectors from test:hash (64 dimensions)" in message
    assert "the embedder now is test:other (32)" in message
    assert "axo memory forget" in message
    with pytest.raises(SemanticMemoryError):
        other.add("a", ["another fact"])
    other.close()


def test_min_score_shared_memories_and_odd_agent_ids(tmp_path: Path) -> None:
    store = SemanticMemory(tmp_path / "s", embedder=HashEmbedder())
    store.add("ops team/π", ["backups run nightly at two"])
    store.add("ops team/π", ["the office has a red door"], shared=True)
    hits = store.search("ops team/π", "when do backups run?", 5, min_score=0.3)
    assert [h.text for h in hits] == ["backups run nightly at two"]
    everyone = store.search("someone-else", "what colour is the office door?", 5)
    assert [(h.text, h.shared) for h in everyone] == [("the office has a red door", True)]
    assert collection_name("ops team/π").startswith("agent-ops-team-")
    assert collection_name("a") == "agent-a"
    store.close()


def test_forget_before_a_date_or_everything(tmp_path: Path) -> None:
    store = SemanticMemory(tmp_path / "s", embedder=HashEmbedder())
    store.add("a", ["old news"])
    cutoff = time.time()
    time.sleep(0.01)
    store.add("a", ["fresh news"])
    assert store.forget("a", before=cutoff) == 1
    assert [h.text for h in store.search("a", "news", 5)] == ["fresh news"]
    assert store.forget("a") == 1
    assert store.count("a") == 0 and store.search("a", "news", 5) == []
    store.close()


def test_nothing_stored_means_chromadb_is_never_opened(tmp_path: Path) -> None:
    store = SemanticMemory(tmp_path / "s", embedder=HashEmbedder())
    assert store.search("a", "anything", 5) == []
    assert store.count("a") == 0 and store.forget("a") == 0
    assert not (tmp_path / "s").exists()


async def test_a_backlog_left_by_a_stopped_process_is_stored_before_recall(
    tmp_path: Path,
) -> None:
    agent = AgentConfig(id="a")
    # A runtime that stops before its background embedding ran leaves the spool behind.
    first = AgentMemory(tmp_path, embedder=HashEmbedder())
    first._closing = True  # as if the process was killed right after the turn
    first.remember_exchange(
        agent, user="The wifi password is hunter2.", reply="Noted.", session_id="s1", run_id=None
    )
    await first.aclose()
    assert len(first.spool.load()) == 1
    second = AgentMemory(tmp_path, embedder=HashEmbedder())
    section = await second.recall_section(agent, "what is the wifi password?", "s2")
    assert "The wifi password is hunter2." in section
    assert second.spool.load() == []
    await second.aclose()


async def test_a_broken_embedder_turns_recall_off_with_one_warning(tmp_path: Path) -> None:
    from axo_tui.core.embeddings.base import EmbeddingError

    class Broken(HashEmbedder):
        def embed_sync(self, texts: Sequence[str]) -> Vectors:
            raise EmbeddingError("the embedded all-MiniLM-L6-v2 model is not installed")

    notices: list[str] = []
    memory = AgentMemory(tmp_path, embedder=Broken(), notify=lambda _a, m: notices.append(m))
    agent = AgentConfig(id="a")
    for index in range(3):
        memory.remember_exchange(
            agent, user=f"fact {index}", reply="ok", session_id="s", run_id=None
        )
        await asyncio.sleep(0)
    await memory.flush()
    assert len(notices) == 1 and "semantic recall is unavailable" in notices[0]
    assert await memory.recall_section(agent, "fact", "s2") == ""
    with pytest.raises(SemanticMemoryError):
        await memory.search("a", "fact", 3)
    await memory.aclose()


def test_a_collection_forgotten_by_another_process_is_not_fatal(tmp_path: Path) -> None:
    running = SemanticMemory(tmp_path / "s", embedder=HashEmbedder())
    running.add("a", ["the deploy key lives in the vault"])
    assert running.search("a", "deploy key", 1)  # handles are cached now
    cli = SemanticMemory(tmp_path / "s", embedder=HashEmbedder())
    assert cli.forget("a") == 1
    cli.close()
    assert running.search("a", "deploy key", 1) == []
    running.add("a", ["a fresh start"])
    assert [h.text for h in running.search("a", "fresh start", 1)] == ["a fresh start"]
    running.close()


def test_the_own_session_check_asks_one_row_and_remembers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether anything but the caller's session is stored is asked with a one-row query,
    never by reading the collection whole (at 100k memories chromadb refuses that read)."""
    import axo_tui.core.memory.semantic as semantic

    path = tmp_path / "s"
    writer = SemanticMemory(path, embedder=HashEmbedder())
    writer.add("a", ["the boat is blue"], metadatas=[{"session_id": "s1"}])
    writer.close()
    asked: list[tuple[str, str]] = []
    real = semantic._other_keys

    def spy(collection: object, agent_id: str, session_id: str) -> set[str]:
        asked.append((agent_id, session_id))
        return real(collection, agent_id, session_id)

    monkeypatch.setattr(semantic, "_other_keys", spy)
    embedder = HashEmbedder()
    store = SemanticMemory(path, embedder=embedder)
    assert store.search("a", "boat colour", 3, exclude_session="s1") == []
    assert embedder.calls == 0  # only its own session is stored: no forward pass at all
    assert store.search("a", "boat colour", 3, exclude_session="s1") == []
    assert len(asked) == 1  # the count did not change: the "no" is not asked again
    store.add("a", ["the car is red"], metadatas=[{"session_id": "s2"}])
    hits = store.search("a", "boat colour", 3, exclude_session="s2")
    assert [hit.text for hit in hits] == ["the boat is blue"]
    store.search("a", "boat", 3, exclude_session="s3")
    assert len(asked) == 1  # two sessions are known: every caller has another one
    store.close()


def test_a_long_query_is_embedded_from_its_start_and_end() -> None:
    from axo_tui.core.memory.semantic import QUERY_CHARS, query_text

    assert query_text("  where is it?  ") == "where is it?"
    long = "START " + "filler " * 200 + " the question at the END?"
    embedded = query_text(long)
    assert len(embedded) <= QUERY_CHARS + 5
    assert embedded.startswith("START") and embedded.endswith("the question at the END?")


def test_storing_for_many_agents_does_not_list_the_collections_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One collection per agent: listing them all for each new one made storing the
    exchanges of an N-wide fan-out O(N²) (160 s for 1,000 agents)."""
    import chromadb.api.client

    import axo_tui.core.memory.semantic as semantic

    monkeypatch.setattr(semantic, "NAMES_TTL_SECS", 3600.0)  # no re-listing by the clock
    listings: list[int] = []
    real = chromadb.api.client.Client.list_collections

    def counting(self: object, *args: object, **kwargs: object) -> object:
        listings.append(1)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(chromadb.api.client.Client, "list_collections", counting)
    store = SemanticMemory(tmp_path / "s", embedder=HashEmbedder())
    agents = [f"w{i}" for i in range(40)]
    for start in range(0, len(agents), 8):
        store.add_many(
            [PendingMemory(f"m-{a}", a, f"{a} likes boats", {}) for a in agents[start : start + 8]]
        )
    for agent in agents:
        assert [hit.text for hit in store.search(agent, "boats", 1, include_shared=False)] == [
            f"{agent} likes boats"
        ]
    assert len(listings) <= 1
    store.close()
