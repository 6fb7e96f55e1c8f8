"""Exchanges waiting to be embedded: a spool directory of append-only JSON-lines files.

Embedding costs tens to hundreds of milliseconds a text on a busy two-core machine, so it
happens in the background, after the reply. The spool makes that safe: an exchange is first
written here (cheap), then embedded and stored in chromadb, then marked done here. A runtime
that closes, or is killed, with a backlog loses nothing: the next process embeds the leftovers
before it first recalls. Ids are stable, and chromadb writes are upserts, so an entry stored
just before a crash and replayed after it is not duplicated.

Each process appends to a file of its own (`<first id>.jsonl`), kept open: an entry is one
line, written at once with one `write` (a file per entry cost a file creation, the dearest
thing a short workflow step did). A stored or forgotten entry gets a tombstone line,
`{"done": id}`, in the file that holds it, so neither a crash nor another process brings it
back. A file goes as soon as every entry in it is done (this process's own is emptied instead
and kept for its next entries); a busy one is sealed after
ROTATE_LINES lines and a new one started, so no file grows without end. O_APPEND keeps whole
lines whole when two processes append to the same file. A torn last line (a kill mid-write,
a full disk) is skipped with a warning, and ended before a tombstone is appended to it. Older spools (one `<id>.json` per entry) are still read.

Inside a runtime (`defer`), the entries of one turn of the event loop are written at its next
turn, in one write (`deferred_lines`); what reads or marks the spool writes them first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axo_tui.core.base import jsonfast
from axo_tui.core.base.ids import random_hex
from axo_tui.core.memory.deferred_lines import (
    DeferredLines,
    open_for_appending,
    skip_torn,
    whole_lines,
)
from axo_tui.core.memory.semantic import PendingMemory
from axo_tui.core.store.private_files import private_dir

ROTATE_LINES = 4096
"""Lines after which this process starts a new spool file (the old one goes once done)."""


def new_memory_id() -> str:
    """Sortable by creation time, unique across processes."""
    return f"{time.time_ns():020d}-{random_hex(6)}"


@dataclass(eq=False)  # identity: a key of the deferred lines
class _SpoolFile:
    path: Path
    pending: set[str] = field(default_factory=set)
    lines: int = 0
    fd: int | None = None


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


def _append(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # a short write (a signal, a nearly full disk): write the rest
        view = view[os.write(fd, view) :]


class PendingSpool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._active: _SpoolFile | None = None
        """The file this process appends new entries to."""
        self._files: dict[Path, _SpoolFile] = {}
        """Every spool file this process wrote or read, with its entries not yet done."""
        self._file_of: dict[str, _SpoolFile] = {}
        self._legacy: set[str] = set()
        """Ids read from older one-file-per-entry spools (`<id>.json`)."""
        self._deferred = DeferredLines[_SpoolFile](self._write_to)

    def defer(self, loop: asyncio.AbstractEventLoop, on_error: Callable[[OSError], None]) -> None:
        """From now on, write the entries put on `loop`'s thread at the loop's next turn (see
        the module's docstring), until `close()`. `on_error` hears of a write that failed
        then (its entries are still queued for storing, only not kept across a restart)."""
        self._deferred.start(loop, lambda spool_file, exc: on_error(exc))

    def flush(self) -> None:
        """Write the deferred entries now."""
        self._deferred.flush()

    @staticmethod
    def _write_to(spool_file: _SpoolFile, data: bytes) -> None:
        if spool_file.fd is not None:  # (closed meanwhile: the entries stay in memory only)
            _append(spool_file.fd, data)

    # ------------------------------------------------------------------ write
    def put(self, entry: PendingMemory) -> None:
        """Spool `entry` now. Raises OSError when the disk refuses."""
        active = self._active
        if active is None or active.lines >= ROTATE_LINES:
            active = self._start(entry.id)
        assert active.fd is not None
        self._deferred.write(active, jsonfast.line(_document(entry)))
        active.lines += 1
        active.pending.add(entry.id)
        self._file_of[entry.id] = active

    def _start(self, first_id: str) -> _SpoolFile:
        previous = self._active
        if previous is not None:
            self._seal(previous)
        path = self.directory / f"{first_id}.jsonl"
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(path, flags, 0o600)  # a new file of our own: no torn line to end
        except FileNotFoundError:
            private_dir(self.directory)
            fd = os.open(path, flags, 0o600)
        active = _SpoolFile(path, fd=fd)
        self._files[path] = self._active = active
        return active

    def _seal(self, spool_file: _SpoolFile) -> None:
        """No new entries go to `spool_file`; it goes once its entries are done."""
        if self._active is spool_file:
            self._active = None
        if not spool_file.pending:
            self._drop(spool_file)

    def _finish(self, spool_file: _SpoolFile) -> None:
        """Every entry of `spool_file` is done. Ours is emptied and kept for the next entry:
        creating a file is the dearest thing a short step does, and after every idle spell
        (the background store caught up) the next turn would pay it again. Others go."""
        if spool_file is self._active and spool_file.fd is not None:
            try:
                os.ftruncate(spool_file.fd, 0)  # O_APPEND: the next line lands at 0
            except OSError:
                self._drop(spool_file)
                return
            spool_file.lines = 0
            return
        self._drop(spool_file)

    def _drop(self, spool_file: _SpoolFile) -> None:
        if spool_file.fd is not None:
            with contextlib.suppress(OSError):
                os.close(spool_file.fd)
            spool_file.fd = None
        spool_file.path.unlink(missing_ok=True)
        self._files.pop(spool_file.path, None)
        if self._active is spool_file:
            self._active = None

    def remove(self, memory_id: str) -> None:
        """`memory_id` is stored (or no longer wanted): it is never replayed."""
        self.forget([memory_id])

    def forget(self, memory_ids: Iterable[str]) -> None:
        """Mark entries done for good, wherever they are spooled (`axo memory forget`)."""
        self.flush()  # a mark follows its entry
        doomed = set(memory_ids)
        unknown = doomed - self._file_of.keys() - self._legacy
        if unknown:
            self.load()  # they may be in files this process has not read yet
        for memory_id in doomed:
            spool_file = self._file_of.pop(memory_id, None)
            if spool_file is None:
                (self.directory / f"{memory_id}.json").unlink(missing_ok=True)  # an older spool
                self._legacy.discard(memory_id)
                continue
            spool_file.pending.discard(memory_id)
            if not spool_file.pending:
                self._finish(spool_file)
                continue
            self._tombstone(spool_file, memory_id)

    def _tombstone(self, spool_file: _SpoolFile, memory_id: str) -> None:
        if spool_file.fd is None:
            # Another process's file may end in a line its crash tore: a tombstone glued to
            # it would be lost, and a forgotten entry would come back.
            try:
                spool_file.fd = open_for_appending(spool_file.path, create=False)
            except FileNotFoundError:
                return  # removed meanwhile (another process finished it): nothing to mark
        _append(spool_file.fd, jsonfast.line({"done": memory_id}))
        spool_file.lines += 1

    def close(self) -> None:
        """Close the files; one whose entries are all done goes."""
        self._deferred.stop()
        for spool_file in list(self._files.values()):
            if not spool_file.pending:
                self._drop(spool_file)
            elif spool_file.fd is not None:
                with contextlib.suppress(OSError):
                    os.close(spool_file.fd)
                spool_file.fd = None
        self._active = None

    # ------------------------------------------------------------------- read
    def any(self) -> bool:
        """Whether any entry may be waiting: one of ours, or a file we have not read (our
        own emptied file is not one)."""
        if any(spool_file.pending for spool_file in self._files.values()):
            return True
        return any(path not in self._files for path in self._paths())

    def load(self) -> list[PendingMemory]:
        """Every entry not done yet, oldest first; an unreadable file or line is skipped,
        not fatal. What is read is tracked, so that finishing a file removes it."""
        self.flush()
        entries: dict[str, PendingMemory] = {}
        for path in self._paths():
            found, done = self._read_file(path)
            live = {memory_id: e for memory_id, e in found.items() if memory_id not in done}
            if path.suffix == ".json":
                self._legacy.update(live)
            else:
                spool_file = self._files.get(path)
                if spool_file is None:
                    spool_file = self._files[path] = _SpoolFile(path, lines=len(found) + len(done))
                spool_file.pending = set(live)
                for memory_id in live:
                    self._file_of[memory_id] = spool_file
            entries.update(live)
        return sorted(entries.values(), key=lambda entry: entry.id)

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
    def _read_file(path: Path) -> tuple[dict[str, PendingMemory], set[str]]:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return {}, set()
        lines = [(1, text)] if path.suffix == ".json" else list(whole_lines(path, text))
        found: dict[str, PendingMemory] = {}
        done: set[str] = set()
        for number, line in lines:
            try:
                document = json.loads(line)
                if "done" in document:
                    done.add(str(document["done"]))
                else:
                    entry = _entry(document)
                    found[entry.id] = entry
            except (ValueError, KeyError, TypeError, AttributeError):
                skip_torn(path, number)
        return found, done
