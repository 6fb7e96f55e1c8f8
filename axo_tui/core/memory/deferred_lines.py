"""Lines for append-only files, gathered during one turn of the event loop and written at its
next turn, each file's lines in one write.

A workflow step appends three lines (its user line and reply to the activity log, its
exchange to the recall spool); written at once, a fan-out of a hundred agents would make three
hundred system calls in a row on the loop's thread. Gathered, they are one write per file. A
killed process loses at most the lines of the loop turn it died in, the window the journal's
group commit has too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)

log = logging.getLogger(__name__)


def open_for_appending(path: Path, *, create: bool = True) -> int:
    """An O_APPEND descriptor of the line file `path` (created 0600 unless `create` is
    False), whose last line is whole: a line torn by a crash or a full disk gets its newline
    first, so the next write starts a line of its own instead of being glued to the torn one
    and lost with it. Raises OSError (FileNotFoundError when not `create`)."""
    flags = os.O_RDWR | os.O_APPEND | getattr(os, "O_BINARY", 0)
    flags |= os.O_CREAT if create else 0
    fd = os.open(path, flags, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            os.write(fd, b"\n")
    except BaseException:
        os.close(fd)
        raise
    return fd


def whole_lines(path: Path, text: str) -> Iterator[tuple[int, str]]:
    """The non-blank lines of `path`'s `text` with their numbers (a reader then skips the
    ones that do not parse, with `skip_torn`)."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield number, line


def skip_torn(path: Path, number: int) -> None:
    """Say that line `number` of `path` is skipped: torn by a crash or a full disk, or
    damaged. The rest of the file is read."""
    log.warning("%s:%d: skipped a torn or damaged line (a crash or a full disk)", path, number)


class DeferredLines(Generic[Key]):
    """Lines per file key, handed to the `write(key, data)` given at construction at the
    loop's next turn (or when `flush` is called). Thread-safe; only the loop's own thread
    defers."""

    def __init__(self, write: Callable[[Key, bytes], None]) -> None:
        self._write = write
        self._on_error: Callable[[Key, OSError], None] | None = None
        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = 0
        self._queued: dict[Key, list[bytes]] = {}
        """Lines not yet written, per file, in order (dicts keep the files' order too)."""
        self._handle: asyncio.TimerHandle | None = None

    def start(
        self, loop: asyncio.AbstractEventLoop, on_error: Callable[[Key, OSError], None]
    ) -> None:
        """Defer the lines added on `loop`'s thread (the caller's) from now on.
        `on_error(key, error)` hears of a deferred write that failed: nobody waits for it
        any more. (Lines written at once raise to their caller instead.)"""
        self._on_error = on_error
        self._loop = loop
        self._thread = threading.get_ident()

    def stop(self) -> None:
        """Write what is queued; from now on every line is written at once."""
        self.flush()
        self._loop = None

    def write(self, key: Key, data: bytes) -> None:
        """Queue `data` for `key`'s file; where lines are not deferred (not started, or
        another thread), write it now, after the queued lines, and raise what that raises."""
        loop = self._loop
        if loop is None or threading.get_ident() != self._thread:
            self.flush()  # a line follows every line made before it
            self._write(key, data)
            return
        with self._lock:
            lines = self._queued.get(key)
            if lines is None:
                self._queued[key] = [data]
            else:
                lines.append(data)
            if self._handle is None:
                # A timer, not call_soon: it runs after the callbacks already due at the next
                # turn, so a turn that awaited once (a stream's first read) is gathered whole
                # (in a fan-out: one write per agent instead of two).
                self._handle = loop.call_later(0, self.flush)

    def flush(self) -> None:
        """Write every queued line now."""
        with self._lock:
            queued, self._queued = self._queued, {}
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None
            for key, lines in queued.items():
                try:
                    self._write(key, b"".join(lines))
                except OSError as exc:
                    assert self._on_error is not None  # lines are queued only once started
                    self._on_error(key, exc)
