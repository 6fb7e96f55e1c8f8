"""A2A tasks kept in the project's journal (`axo.db`, table `a2a_tasks`), so `GetTask`
answers after a restart and a task waiting for input resumes under its id after a kill -9.

Each save is committed before the SDK goes on (it saves before a reply leaves), on a
connection of its own in WAL mode beside the runtime's. A task records its target and the
axo runs that served it: a task still `working` whose run ended while no process watched it
(a crash, then a resume) is brought up to the run's end when it is read.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from a2a.server.context import ServerCallContext
from a2a.server.tasks import InMemoryTaskStore, TaskStore
from a2a.types import a2a_pb2 as pb

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

Reconcile = Callable[[pb.Task, str], bool]
"""Updates a stored task from its run's record; True when it changed it."""


class TaskJournal:
    """The `a2a_tasks` table of one journal file (shared by every exposed target)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def save(self, target: str, task: pb.Task, run_id: str | None = None) -> None:
        state = pb.TaskState.Name(task.status.state)
        with self._lock:
            self._db.execute(
                "INSERT INTO a2a_tasks(id, target, context_id, state, run_id, task, updated_at) "
                "VALUES(?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET state=excluded.state, "
                "task=excluded.task, updated_at=excluded.updated_at, "
                "run_id=COALESCE(excluded.run_id, a2a_tasks.run_id)",
                (
                    task.id,
                    target,
                    task.context_id,
                    state,
                    run_id,
                    task.SerializeToString(),
                    time.time(),
                ),
            )

    def bind_run(self, task_id: str, run_id: str) -> None:
        """The run now serving the task (its latest turn)."""
        with self._lock:
            self._db.execute("UPDATE a2a_tasks SET run_id=? WHERE id=?", (run_id, task_id))

    def get(self, target: str, task_id: str) -> tuple[pb.Task, str | None] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT task, run_id FROM a2a_tasks WHERE id=? AND target=?", (task_id, target)
            ).fetchone()
        if row is None:
            return None
        task = pb.Task()
        task.ParseFromString(row[0])
        return task, row[1]

    def all(self, target: str) -> list[pb.Task]:
        with self._lock:
            rows = self._db.execute(
                "SELECT task FROM a2a_tasks WHERE target=? ORDER BY updated_at", (target,)
            ).fetchall()
        tasks = []
        for (blob,) in rows:
            task = pb.Task()
            task.ParseFromString(blob)
            tasks.append(task)
        return tasks

    def delete(self, target: str, task_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM a2a_tasks WHERE id=? AND target=?", (task_id, target))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class JournalTaskStore(TaskStore):
    """The SDK's TaskStore over `TaskJournal`, for one target (`kind:id`). `reconcile`
    brings a task whose run ended unwatched up to date before it is returned."""

    def __init__(self, journal: TaskJournal, target: str, reconcile: Reconcile) -> None:
        self.journal = journal
        self.target = target
        self._reconcile = reconcile

    async def save(self, task: pb.Task, context: ServerCallContext) -> None:
        await asyncio.to_thread(self.journal.save, self.target, task)

    async def get(self, task_id: str, context: ServerCallContext) -> pb.Task | None:
        found = await asyncio.to_thread(self.journal.get, self.target, task_id)
        if found is None:
            return None
        task, run_id = found
        if run_id is not None and self._reconcile(task, run_id):
            await asyncio.to_thread(self.journal.save, self.target, task)
        return task

    async def list(
        self, params: pb.ListTasksRequest, context: ServerCallContext
    ) -> pb.ListTasksResponse:
        # Filtering and paging as the SDK's own store does them, over this target's tasks.
        memory = InMemoryTaskStore()
        for task in await asyncio.to_thread(self.journal.all, self.target):
            await memory.save(task, context)
        return await memory.list(params, context)

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        await asyncio.to_thread(self.journal.delete, self.target, task_id)
