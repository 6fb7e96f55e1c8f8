"""WAL checkpoints of a journal in group mode, on a thread of their own, off the commit's path.

SQLite copies the WAL back into the database file once it reaches 1,000 pages, inside the
commit that crossed the mark, with two fsyncs: 5 to 10 ms that the commit's waiters (the
activations at their durability barrier) spent waiting, every sixteenth fan-out or so. A
journal in group mode turns that off for its own connection and asks for a PASSIVE
checkpoint here instead, every CHECKPOINT_EVERY commits: it runs on another connection
while commits go on (it copies what was committed when it started, writers are not blocked)
and the WAL starts over at the next commit once everything is copied. Other processes keep
SQLite's automatic checkpoints; the last connection to close checkpoints what is left.
"""

from __future__ import annotations

import logging
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 16
"""Commits between two checkpoints: a 1 -> 100 -> 1 fan-out's commit writes about 60 pages,
so about SQLite's own 1,000-page mark; smaller commits checkpoint a smaller WAL."""


class Checkpointer:
    """Runs PASSIVE checkpoints of one database file, one at a time, on its own thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor: ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None
        """Opened and used on the thread only."""
        self._running: Future[None] | None = None
        self._commits = 0

    def committed(self) -> None:
        """A commit landed: start a checkpoint every CHECKPOINT_EVERY of them, unless the
        last one is still running (the next commit asks again)."""
        self._commits += 1
        if self._commits < CHECKPOINT_EVERY:
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
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            # Nothing is lost: the WAL holds every commit, and the next checkpoint (or the
            # last connection to close) copies it.
            log.warning("%s: WAL checkpoint failed (tried again later): %s", self._path, exc)

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
