"""The a2a-sdk's side of the A2A tasks kept in the journal (`core/store/a2a_tasks.py` owns
the `a2a_tasks` table): protobuf `Task`s to and from its bytes, and the SDK's `TaskStore`
for one target.

A task records its target and the axo runs that served it: a task still `working` whose run
ended while no process watched it (a crash, then a resume) is brought up to the run's end
when it is read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from a2a.server.context import ServerCallContext
from a2a.server.tasks import InMemoryTaskStore, TaskStore
from a2a.types import a2a_pb2 as pb

from axo_tui.core.store.a2a_tasks import A2ATaskTable

Reconcile = Callable[[pb.Task, str], bool]
"""Updates a stored task from its run's record; True when it changed it."""


class TaskJournal:
    """The journal's A2A tasks as protobuf `Task`s (shared by every exposed target)."""

    def __init__(self, path: Path) -> None:
        self._table = A2ATaskTable(path)

    def save(self, target: str, task: pb.Task, run_id: str | None = None) -> None:
        self._table.save(
            task.id,
            target,
            task.context_id,
            pb.TaskState.Name(task.status.state),
            task.SerializeToString(),
            run_id,
        )

    def bind_run(self, task_id: str, run_id: str) -> None:
        """The run now serving the task (its latest turn)."""
        self._table.bind_run(task_id, run_id)

    def get(self, target: str, task_id: str) -> tuple[pb.Task, str | None] | None:
        found = self._table.get(target, task_id)
        if found is None:
            return None
        return _parsed(found.task), found.run_id

    def all(self, target: str) -> list[pb.Task]:
        return [_parsed(blob) for blob in self._table.all(target)]

    def delete(self, target: str, task_id: str) -> None:
        self._table.delete(target, task_id)

    def close(self) -> None:
        self._table.close()


def _parsed(blob: bytes) -> pb.Task:
    task = pb.Task()
    task.ParseFromString(blob)
    return task


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
