"""The journal's `a2a_tasks` table: the A2A tasks `axo serve` answers for, kept in `axo.db`
so `GetTask` answers after a restart and a task waiting for input resumes after a kill -9.

A task is stored as opaque bytes (the serve layer's protobuf; the store never reads it)
beside the columns it is looked up by. Each write is committed before it returns (the SDK
saves before a reply leaves), on a connection of its own in WAL mode beside the runtime's.
SQLite errors become a `JournalError` that says what is wrong with the file, as the
journal's own do: a damaged or full `axo.db` never ends in a traceback.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from axo_tui.core.store import journal_damage
from axo_tui.core.store.journal import JournalError

SCHEMA = """
CREATE TABLE IF NOT EXISTS a2a_tasks (
    id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    context_id TEXT NOT NULL,
    state TEXT NOT NULL,
    run_id TEXT,
    task BLOB NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS a2a_tasks_target ON a2a_tasks(target, updated_at);
"""


@dataclass(frozen=True)
class StoredTask:
    task: bytes
    run_id: str | None
    """The axo run serving the task's latest turn (None before its first run starts)."""


class A2ATaskTable:
    """The `a2a_tasks` table of one journal file (shared by every exposed target, each
    task under its target, `kind:id`). Safe to use from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise JournalError(
                journal_damage.explain(path, exc, "cannot open the journal")
            ) from exc
        try:
            with self._explained("cannot open the journal"):
                # The wait first: the runtime's connection may hold the write lock already.
                self._db.execute("PRAGMA busy_timeout=5000")
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.executescript(SCHEMA)
        except JournalError:
            self._db.close()
            raise

    def save(
        self,
        task_id: str,
        target: str,
        context_id: str,
        state: str,
        task: bytes,
        run_id: str | None = None,
    ) -> None:
        """Insert or replace the task; a save without `run_id` keeps the one recorded."""
        with self._lock, self._explained("cannot save an A2A task in the journal"):
            self._db.execute(
                "INSERT INTO a2a_tasks(id, target, context_id, state, run_id, task, updated_at) "
                "VALUES(?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET state=excluded.state, "
                "task=excluded.task, updated_at=excluded.updated_at, "
                "run_id=COALESCE(excluded.run_id, a2a_tasks.run_id)",
                (task_id, target, context_id, state, run_id, task, time.time()),
            )

    def bind_run(self, task_id: str, run_id: str) -> None:
        """The run now serving the task (its latest turn)."""
        with self._lock, self._explained("cannot save an A2A task in the journal"):
            self._db.execute("UPDATE a2a_tasks SET run_id=? WHERE id=?", (run_id, task_id))

    def get(self, target: str, task_id: str) -> StoredTask | None:
        with self._lock, self._explained("cannot read an A2A task from the journal"):
            row = self._db.execute(
                "SELECT task, run_id FROM a2a_tasks WHERE id=? AND target=?", (task_id, target)
            ).fetchone()
        return None if row is None else StoredTask(bytes(row[0]), row[1])

    def all(self, target: str) -> list[bytes]:
        """The target's tasks, least recently changed first."""
        with self._lock, self._explained("cannot read A2A tasks from the journal"):
            rows = self._db.execute(
                "SELECT task FROM a2a_tasks WHERE target=? ORDER BY updated_at", (target,)
            ).fetchall()
        return [bytes(blob) for (blob,) in rows]

    def delete(self, target: str, task_id: str) -> None:
        with self._lock, self._explained("cannot delete an A2A task from the journal"):
            self._db.execute("DELETE FROM a2a_tasks WHERE id=? AND target=?", (task_id, target))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _explained(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise JournalError(journal_damage.explain(self.path, exc, doing)) from exc
