"""Exchanges waiting to be embedded: a spool directory, one small JSON file per memory.

Embedding costs tens to hundreds of milliseconds a text on a busy two-core machine, so it
happens in the background, after the reply. The spool makes that safe: an exchange is first
written here (cheap), then embedded and stored in chromadb, then its file is deleted. A
runtime that closes, or is killed, with a backlog loses nothing: the next process embeds the
leftovers before it first recalls. Ids are stable, and chromadb writes are upserts, so an
entry stored just before a crash and replayed after it is not duplicated. One file per entry
(rather than one queue file) means two processes never rewrite each other's queue.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from axo_tui.core.memory.semantic import PendingMemory


def new_memory_id() -> str:
    """Sortable by creation time, unique across processes."""
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"


def _write_new(path: Path, data: bytes) -> None:
    # Raw descriptors: one open, one write, one close (no text layer, no buffer).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


class PendingSpool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._made = False

    def put(self, entry: PendingMemory) -> None:
        if not self._made:  # once per process; a directory removed later is made again below
            self.directory.mkdir(parents=True, exist_ok=True)
            self._made = True
        document = {
            "id": entry.id,
            "agent_id": entry.agent_id,
            "text": entry.text,
            "metadata": entry.metadata,
            "shared": entry.shared,
        }
        final = self.directory / f"{entry.id}.json"
        temp = self.directory / f".{entry.id}.tmp"
        # temp + rename: a reader never sees half an entry. No fsync: the raw exchange is
        # already durable in the journal and the activity log; this is only a work queue.
        data = json.dumps(document, ensure_ascii=False).encode("utf-8")
        try:
            _write_new(temp, data)
        except FileNotFoundError:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_new(temp, data)
        os.replace(temp, final)  # noqa: PTH105 - temp is a Path; os.replace reads clearer here

    def remove(self, memory_id: str) -> None:
        (self.directory / f"{memory_id}.json").unlink(missing_ok=True)

    def any(self) -> bool:
        try:
            return any(path.suffix == ".json" for path in self.directory.iterdir())
        except FileNotFoundError:
            return False

    def load(self) -> list[PendingMemory]:
        """Every readable entry, oldest first; an unreadable one is skipped, not fatal."""
        try:
            paths = sorted(self.directory.glob("*.json"))
        except FileNotFoundError:
            return []
        entries = []
        for path in paths:
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
                entries.append(
                    PendingMemory(
                        id=str(document["id"]),
                        agent_id=str(document["agent_id"]),
                        text=str(document["text"]),
                        metadata=dict(document.get("metadata") or {}),
                        shared=bool(document.get("shared", False)),
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return entries
