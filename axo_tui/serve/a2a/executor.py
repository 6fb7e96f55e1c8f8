"""An A2A task is an axo run: the SDK's AgentExecutor over the runtime's public API.

A message starts a run of the target (the first run's id is the task's id), through the
runtime's actions only; the run's tokens stream as chunks of the task's `output` artifact
(an agent's) and its end sets the task's state: completed, failed, canceled, or, for a
`multi_turn` agent, input-required. The next message of an input-required task is the next
turn of the same session (`a2a:<task id>`), so the agent sees the conversation so far even
after a restart. Cancelling the task cancels the run.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import a2a_pb2 as pb

from axo_tui.core.base.enums import RunStatus
from axo_tui.core.base.ids import new_id
from axo_tui.core.events.catalog import AgentCompleted, RunCompleted, TokenStreamed
from axo_tui.core.runtime.runs import RunError, RunResult
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.core.telemetry import propagation
from axo_tui.serve.a2a.targets import Target
from axo_tui.serve.a2a.task_store import TaskJournal

OUTPUT = "output"
"""The one artifact of a task: the run's output."""


def message_text(message: pb.Message | None) -> str:
    return "" if message is None else "".join(p.text for p in message.parts)


def session_of(task_id: str) -> str:
    return f"a2a:{task_id}"


def agent_message(text: str, task_id: str, context_id: str) -> pb.Message:
    return pb.Message(
        message_id=new_id(),
        role=pb.Role.ROLE_AGENT,
        parts=[pb.Part(text=text)],
        task_id=task_id,
        context_id=context_id,
    )


def usage_metadata(result: RunResult) -> dict[str, Any]:
    return {
        "axo_run_id": result.run_id,
        "usage": {
            "prompt_tokens": result.usage.prompt_tokens,
            "completion_tokens": result.usage.completion_tokens,
        },
    }


class RunExecutor(AgentExecutor):
    def __init__(self, runtime: Runtime, target: Target, journal: TaskJournal) -> None:
        self.runtime = runtime
        self.target = target
        self.journal = journal
        self._runs: dict[str, str] = {}
        """task id -> the run serving it now."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task_id, context_id = context.task_id or "", context.context_id or ""
        updater = TaskUpdater(event_queue, task_id, context_id)
        first = context.current_task is None
        if first and context.message is not None:
            await event_queue.enqueue_event(
                pb.Task(
                    id=task_id,
                    context_id=context_id,
                    status=pb.TaskStatus(state=pb.TaskState.TASK_STATE_SUBMITTED),
                    history=[context.message],
                )
            )
        text = message_text(context.message)
        run_id = task_id if first and self.runtime.state.find_run(task_id) is None else new_id()
        self._runs[task_id] = run_id
        await asyncio.to_thread(self.journal.bind_run, task_id, run_id)
        subscription = self.runtime.subscribe(
            run_id=run_id, kinds=(TokenStreamed.kind, AgentCompleted.kind, RunCompleted.kind)
        )
        await updater.update_status(
            pb.TaskState.TASK_STATE_WORKING, metadata={"axo_run_id": run_id}
        )
        # A caller's `traceparent`: the run (spawned next, in a copy of this context) joins it.
        propagation.adopt(context.call_context.state.get("headers"))
        run = self.runtime.spawn(self._start(run_id, text, task_id))
        try:
            await self._relay(subscription, updater, run)
            await asyncio.wait({run})
        finally:
            subscription.close()
            self._runs.pop(task_id, None)
        if run.cancelled():  # cancel_run stopped it: the task is canceled
            await updater.update_status(pb.TaskState.TASK_STATE_CANCELED)
            return
        error = run.exception()
        if error is not None:  # the run could not start (RunError): said, not raised
            await updater.update_status(
                pb.TaskState.TASK_STATE_FAILED, agent_message(str(error), task_id, context_id)
            )
            return
        await self._finish(updater, run.result(), task_id, context_id)

    async def _start(self, run_id: str, text: str, task_id: str) -> RunResult:
        if self.target.kind == "workflow":
            return await self.runtime.run_workflow(self.target.id, text, run_id=run_id)
        return await self.runtime.run_agent(
            self.target.id, text, session_id=session_of(task_id), run_id=run_id, trigger="a2a"
        )

    async def _relay(self, subscription: Any, updater: TaskUpdater, run: asyncio.Task[Any]) -> None:
        """The run's tokens as artifact chunks (an agent's) and its agents' completions as
        status updates (a workflow's), until the run ends."""
        fresh = True
        stop = asyncio.ensure_future(asyncio.shield(run))
        try:
            while True:
                get = asyncio.ensure_future(subscription.get())
                done, _ = await asyncio.wait({get, stop}, return_when=asyncio.FIRST_COMPLETED)
                if get not in done:
                    get.cancel()
                    return
                event = get.result()
                if isinstance(event, RunCompleted):
                    return
                if isinstance(event, TokenStreamed) and self.target.kind == "agent":
                    await updater.add_artifact(
                        [pb.Part(text=event.text)],
                        artifact_id=OUTPUT,
                        name=OUTPUT,
                        append=not fresh,
                    )
                    fresh = False
                elif isinstance(event, AgentCompleted) and self.target.kind == "workflow":
                    note = f"{event.agent_id} completed"
                    await updater.update_status(
                        pb.TaskState.TASK_STATE_WORKING,
                        agent_message(note, updater.task_id, updater.context_id),
                    )
        finally:
            stop.cancel()

    async def _finish(
        self, updater: TaskUpdater, result: RunResult, task_id: str, context_id: str
    ) -> None:
        metadata = usage_metadata(result)
        if result.status == RunStatus.CANCELLED:
            await updater.update_status(pb.TaskState.TASK_STATE_CANCELED, metadata=metadata)
            return
        if not result.ok:
            reason = "; ".join(f"{a}: {e}" for a, e in result.errors.items()) or "the run failed"
            await updater.update_status(
                pb.TaskState.TASK_STATE_FAILED,
                agent_message(reason, task_id, context_id),
                metadata=metadata,
            )
            return
        await updater.add_artifact(
            [pb.Part(text=result.output)], artifact_id=OUTPUT, name=OUTPUT, last_chunk=True
        )
        if self.target.multi_turn:
            await updater.update_status(
                pb.TaskState.TASK_STATE_INPUT_REQUIRED,
                agent_message(result.output, task_id, context_id),
                metadata=metadata,
            )
        else:
            await updater.update_status(pb.TaskState.TASK_STATE_COMPLETED, metadata=metadata)

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        run_id = self._runs.get(context.task_id or "")
        if run_id is not None:
            # Ended meanwhile: the SDK records the task canceled all the same.
            with contextlib.suppress(RunError):
                await self.runtime.cancel_run(run_id)

    def reconcile(self, task: pb.Task, run_id: str) -> bool:
        """A stored task still working whose run is not live here: its state from the run's
        record (it ended while no one watched, or a crash left it to be resumed)."""
        live = task.status.state in (
            pb.TaskState.TASK_STATE_SUBMITTED,
            pb.TaskState.TASK_STATE_WORKING,
        )
        if not live or run_id in self._runs.values():
            return False
        record = self.runtime.state.find_run(run_id)
        if record is None or record.status in (RunStatus.RUNNING, RunStatus.INTERRUPTED):
            return False
        states = {
            RunStatus.COMPLETED: pb.TaskState.TASK_STATE_COMPLETED,
            RunStatus.FAILED: pb.TaskState.TASK_STATE_FAILED,
            RunStatus.CANCELLED: pb.TaskState.TASK_STATE_CANCELED,
        }
        task.status.state = states.get(record.status, pb.TaskState.TASK_STATE_FAILED)
        if record.status == RunStatus.COMPLETED:
            del task.artifacts[:]
            task.artifacts.append(
                pb.Artifact(
                    artifact_id=OUTPUT, name=OUTPUT, parts=[pb.Part(text=record.output or "")]
                )
            )
        elif record.error:
            task.status.message.CopyFrom(agent_message(record.error, task.id, task.context_id))
        return True
