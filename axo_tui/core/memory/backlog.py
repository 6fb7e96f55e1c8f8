"""Memories spooled for recall and not stored yet, kept per agent.

Storing a memory means embedding it, which loads chromadb and the embedding model (about
220 MB together): a runtime whose agents never recall anything must never pay that. So
memories wait here (and in the spool on disk) until a recall needs them, and a recall only
needs those of its own agent and the team's shared ones: kept apart per agent, they are taken
in one step, however long the backlog of the others is (a fan-out of 5,000 agents leaves
5,000 memories, and the first recall after it must not wait for all of them).
"""

from __future__ import annotations

from collections.abc import Iterable

from axo_tui.core.memory.semantic import PendingMemory

SHARED = "\x00shared"
"""The key of memories stored in the team's shared collection (no agent id looks so)."""


class Backlog:
    """Pending memories by agent (shared ones under SHARED), oldest first within each."""

    def __init__(self) -> None:
        self._by_agent: dict[str, list[PendingMemory]] = {}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, entry: PendingMemory) -> None:
        self._by_agent.setdefault(SHARED if entry.shared else entry.agent_id, []).append(entry)
        self._size += 1

    def add_older(self, entries: Iterable[PendingMemory]) -> None:
        """Entries left by an earlier process: they go before this process's own."""
        for entry in reversed(list(entries)):
            self._by_agent.setdefault(SHARED if entry.shared else entry.agent_id, []).insert(
                0, entry
            )
            self._size += 1

    def take(self, limit: int) -> list[PendingMemory]:
        """Up to `limit` entries, whole agents first (a batch groups into few collections)."""
        taken: list[PendingMemory] = []
        for key in list(self._by_agent):
            entries = self._by_agent[key]
            room = limit - len(taken)
            taken.extend(entries[:room])
            if len(entries) <= room:
                del self._by_agent[key]
            else:
                self._by_agent[key] = entries[room:]
            if len(taken) >= limit:
                break
        self._size -= len(taken)
        return taken

    def take_for(self, agent_id: str) -> list[PendingMemory]:
        """Every entry `agent_id` can recall: its own and the shared ones."""
        taken = self._by_agent.pop(agent_id, []) + self._by_agent.pop(SHARED, [])
        self._size -= len(taken)
        return taken

    def holds_other_session(self, agent_id: str, session_id: str) -> bool:
        """Whether `agent_id` could recall an entry here that is not from `session_id` (the
        conversation it is in holds those already)."""
        for entry in self._by_agent.get(agent_id, ()):
            if entry.metadata.get("session_id") != session_id:
                return True
        return any(
            entry.agent_id != agent_id or entry.metadata.get("session_id") != session_id
            for entry in self._by_agent.get(SHARED, ())
        )

    def clear(self) -> None:
        self._by_agent.clear()
        self._size = 0
