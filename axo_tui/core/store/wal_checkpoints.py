"""WAL checkpoints of a journal in group mode, on a thread of their own, off the commit's path.

SQLite copies the WAL back into the database file once it reaches 1,000 pages, inside the
commit that crossed the mark, with two fsyncs that the commit's waiters (the activations at
their durability barrier) would spend waiting. A
journal in group mode turns that off for its own connection and asks for a PASSIVE
checkpoint here instead, every so many commits: it runs on another connection while commits
go on (it copies what was committed when it started, writers are not blocked) and the WAL
starts over at the next commit once everything is copied. How many commits apart adapts to
what each checkpoint finds, so that one copies about TARGET_FRAMES pages, as SQLite's own
would, whether a commit is a fan-out's or a chain step's. Other processes
keep SQLite's automatic checkpoints; the last connection to close checkpoints what is left.
"""

from __future__ import annotations

import logging
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)

TARGET_FRAMES = 1000
"""Pages a checkpoint should find in the WAL: SQLite's own mark (wal_autocheckpoint)."""
FIRST_EVERY = 16
"""Commits before the first checkpoint, then adapted within [MIN_EVERY, MAX_EVERY]."""
MIN_EVERY = 4
MAX_EVERY = 1024


class Checkpointer:
    """Runs PASSIVE checkpoints of one database file, one at a time, on its own thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor: ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None
        """Opened and used on the thread only."""
        self._running: Future[None] | None = None
        self._commits = 0
        self.every = FIRST_EVERY
        """Commits between two checkpoints; set by the checkpoint thread as it learns."""

    def committed(self) -> None:
        """A commit landed: start a checkpoint every `every` of them, unless the last one is
        still running (the next commit asks again)."""
        self._commits += 1
        if self._commits < self.every:
            return
        if self._running is not None and not self._running.done():
            return
        self._commits = 0
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="axo-wal-checkpoint")
        self._running = self._executor.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            if self._db is None:
                self._db = sqlite3.connect(self._path, isolation_level=None)
                self._db.execute("PRAGMA busy_timeout=5000")
            _busy, frames, _copied = self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            # Nothing is lost: the WAL holds every commit, and the next checkpoint (or the
            # last connection to close) copies it.
            log.warning("%s: WAL checkpoint failed (tried again later): %s", self._path, exc)
            return
        # Twice as far apart when it found less than half the target, half as far when more
        # than twice: steps of two settle fast and never swing on one odd commit.
        if frames * 2 < TARGET_FRAMES:
            self.every = min(MAX_EVERY, self.every * 2)
        elif frames > TARGET_FRAMES * 2:
            self.every = max(MIN_EVERY, self.every // 2)

    def close(self) -> None:
        """Wait for the checkpoint running, if any, and close the thread's connection."""
        if self._executor is None:
            return
        self._executor.submit(self._close_db)
        self._executor.shutdown(wait=True)
        self._executor = None
        self._running = None

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
