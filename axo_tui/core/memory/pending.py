"""Exchanges waiting to be embedded: a spool directory of small JSON-lines files.

Embedding costs tens to hundreds of milliseconds a text on a busy two-core machine, so it
happens in the background, after the reply. The spool makes that safe: an exchange is first
written here (cheap), then embedded and stored in chromadb, then dropped from here. A runtime
that closes, or is killed, with a backlog loses nothing: the next process embeds the leftovers
before it first recalls. Ids are stable, and chromadb writes are upserts, so an entry stored
just before a crash and replayed after it is not duplicated.

Entries put in the same turn of the event loop share one file (`<first id>.jsonl`, one entry
per line), written at the loop's next turn: a 100-wide fan-out finishes a hundred exchanges
at once, and a file each (create, write, rename) cost more than the rest of its steps. Outside
an event loop, `put` writes at once. A file is removed when all of its entries are stored;
`forget` rewrites it without the forgotten ones, so they never come back. Files are per
process and never rewritten by another, so two processes never clobber each other's queue.
Older spools (one `<id>.json` per entry) are still read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from axo_tui.core.memory.semantic import PendingMemory

log = logging.getLogger(__name__)


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


def _document(entry: PendingMemory) -> dict[str, Any]:
    return {
        "id": entry.id,
        "agent_id": entry.agent_id,
        "text": entry.text,
        "metadata": entry.metadata,
        "shared": entry.shared,
    }


def _entry(document: Any) -> PendingMemory:
    return PendingMemory(
        id=str(document["id"]),
        agent_id=str(document["agent_id"]),
        text=str(document["text"]),
        metadata=dict(document.get("metadata") or {}),
        shared=bool(document.get("shared", False)),
    )


class PendingSpool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._made = False
        self._buffer: list[PendingMemory] = []
        """Put in this turn of the loop, written at the next."""
        self._flush_scheduled = False
        self._files: dict[Path, set[str]] = {}
        """Spool file -> ids in it not yet stored (files this process wrote or loaded)."""
        self._file_of: dict[str, Path] = {}

    def put(self, entry: PendingMemory) -> None:
        """Queue `entry`; it is on disk by the loop's next turn (at once outside a loop).
        Raises OSError when written at once and the disk refuses."""
        self._buffer.append(entry)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush_soon)

    def _flush_soon(self) -> None:
        try:
            self.flush()
        except OSError as exc:
            # Kept in memory and tried again with the next entry or at close; the exchange
            # itself is safe in the journal and the activity log.
            log.warning("%s: cannot spool memories for recall yet: %s", self.directory, exc)

    def flush(self) -> None:
        """Write what `put` buffered, as one file. Raises OSError (the entries stay buffered)."""
        self._flush_scheduled = False
        if not self._buffer:
            return
        entries = self._buffer
        if not self._made:  # once per process; a directory removed later is made again below
            self.directory.mkdir(parents=True, exist_ok=True)
            self._made = True
        path = self._write(f"{entries[0].id}.jsonl", entries)
        self._buffer = []
        ids = {entry.id for entry in entries}
        self._files[path] = ids
        for memory_id in ids:
            self._file_of[memory_id] = path

    def _write(self, name: str, entries: Iterable[PendingMemory]) -> Path:
        final = self.directory / name
        temp = self.directory / f".{name}.tmp"
        # temp + rename: a reader never sees half a file. No fsync: the raw exchange is
        # already durable in the journal and the activity log; this is only a work queue.
        data = "".join(
            json.dumps(_document(entry), ensure_ascii=False) + "\n" for entry in entries
        ).encode("utf-8")
        try:
            _write_new(temp, data)
        except FileNotFoundError:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_new(temp, data)
        os.replace(temp, final)  # noqa: PTH105 - temp is a Path; os.replace reads clearer here
        return final

    def remove(self, memory_id: str) -> None:
        """`memory_id` is stored: its file goes once all of the file's entries are stored.
        (Until then a crash replays it, harmlessly: storing is an upsert.)"""
        self._buffer = [entry for entry in self._buffer if entry.id != memory_id]
        path = self._file_of.pop(memory_id, None)
        if path is None:
            (self.directory / f"{memory_id}.json").unlink(missing_ok=True)  # an older spool
            return
        left = self._files.get(path)
        if left is None:
            return
        left.discard(memory_id)
        if not left:
            del self._files[path]
            path.unlink(missing_ok=True)

    def forget(self, memory_ids: Iterable[str]) -> None:
        """Drop entries for good (`axo memory forget`): their files are rewritten without
        them, so no later process stores them."""
        doomed = set(memory_ids)
        self._buffer = [entry for entry in self._buffer if entry.id not in doomed]
        for path in self._paths():
            if path.suffix == ".json":
                if path.stem in doomed:
                    path.unlink(missing_ok=True)
                continue
            entries = self._read_file(path)
            kept = [entry for entry in entries if entry.id not in doomed]
            if len(kept) == len(entries):
                continue
            if kept:
                self._write(path.name, kept)
            else:
                path.unlink(missing_ok=True)
            left = self._files.get(path)
            if left is not None:
                left -= doomed
        for memory_id in doomed:
            self._file_of.pop(memory_id, None)

    def any(self) -> bool:
        return bool(self._buffer) or bool(self._paths())

    def load(self) -> list[PendingMemory]:
        """Every readable entry, oldest first (buffered ones included); an unreadable file
        or line is skipped, not fatal. Entries read are tracked, so that storing all of a
        file's entries removes it."""
        entries: list[PendingMemory] = []
        for path in self._paths():
            found = self._read_file(path)
            if path.suffix == ".jsonl" and found:
                ids = {entry.id for entry in found}
                self._files[path] = ids
                for memory_id in ids:
                    self._file_of[memory_id] = path
            entries.extend(found)
        entries.extend(self._buffer)
        unique = {entry.id: entry for entry in entries}  # a file rewritten mid-read, a buffer
        return sorted(unique.values(), key=lambda entry: entry.id)

    def _paths(self) -> list[Path]:
        try:
            return sorted(
                path
                for path in self.directory.iterdir()
                if path.suffix in (".json", ".jsonl") and not path.name.startswith(".")
            )
        except (FileNotFoundError, NotADirectoryError):
            return []

    @staticmethod
    def _read_file(path: Path) -> list[PendingMemory]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return []
        lines = [text] if path.suffix == ".json" else text.splitlines()
        entries = []
        for line in lines:
            with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
                entries.append(_entry(json.loads(line)))
        return entries
