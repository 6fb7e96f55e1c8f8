"""The runtime's side of `lattice.backend: nats`: a node of a cluster (`core.distributed`)
that runs its steps through this runtime's one activation path.

Workflow runs go to the cluster, and so do single-agent runs of an agent this process may
not run (`lattice.placement`, or it hosts no project and claims nothing): a run of one step.
Chat turns (a session), skills and an agent this node may run stay in this process. Each
step is journaled here, on the node that ran it, with the run's id; the outbox publishes
this journal's events for the cluster's record.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from axo_tui.core.base.enums import ActivationStatus, ErrorKind, RunStatus
from axo_tui.core.base.ids import new_id
from axo_tui.core.config.nats_schema import ClusterSettings
from axo_tui.core.config.schema import AgentConfig, Config
from axo_tui.core.distributed.connection import ClusterError
from axo_tui.core.distributed.node import ClusterNode, may_run, node_name
from axo_tui.core.distributed.steps import (
    RecordOf,
    RunOutcome,
    Settle,
    Step,
    StepOutcome,
    StepRecord,
)
from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import (
    AgentCompleted,
    AgentFailed,
    AgentSkipped,
    RunCompleted,
    RunStarted,
    RuntimeNotice,
)
from axo_tui.core.providers.base import Usage
from axo_tui.core.runtime.agent_turn import TurnRequest
from axo_tui.core.runtime.runs import ActivationResult, RunError, RunResult
from axo_tui.core.store.journal import ActivationRecord, Journal

if TYPE_CHECKING:
    from axo_tui.core.runtime.ambient import AmbientRouter

log = logging.getLogger(__name__)


class ClusterRuntime(Protocol):
    """What a node uses of the Runtime that holds it (which passes itself in)."""

    @property
    def config(self) -> Config: ...

    @property
    def bus(self) -> EventBus: ...

    @property
    def journal(self) -> Journal: ...

    @property
    def state_dir(self) -> Path: ...

    @property
    def ambient(self) -> AmbientRouter: ...

    def spawn(self, coro: Any) -> asyncio.Task[Any]: ...

    def agent_config(self, agent_id: str) -> AgentConfig: ...

    async def activate(self, request: TurnRequest, *, trigger: str) -> ActivationResult: ...


class ClusterLattice:
    """A `distributed.steps.ClusterHost` over a Runtime."""

    def __init__(
        self, runtime: ClusterRuntime, settings: ClusterSettings, *, claim_work: bool
    ) -> None:
        self._runtime = runtime
        self.settings = settings
        self.claim_work = claim_work
        self.node: ClusterNode | None = None
        self._starting: asyncio.Task[None] | None = None
        self._stale: list[ActivationRecord] = []
        """Steps this node was running when it stopped, ended once the cluster answers."""

    @property
    def config(self) -> Config:
        return self._runtime.config

    def start(self) -> None:
        """Connect in the background (needs a running loop): a run waits for it."""
        runtime = self._runtime
        node = ClusterNode(
            self.settings,
            self,
            runtime.journal,
            runtime.state_dir,
            last_seq=lambda: runtime.bus.last_seq,
            claim_work=self.claim_work,
        )
        self.node = node
        if self.claim_work:  # only the node that claims steps can tell its own dead ones
            self._stale = runtime.journal.orphan_running_activations()
        runtime.bus.add_sink(lambda _event: node.poke(), journaled_only=True)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a runtime opened outside a loop only reads
        self._starting = runtime.spawn(self._start(node))

    async def _start(self, node: ClusterNode) -> None:
        try:
            await node.start()
        except ClusterError as exc:
            self.notice(None, str(exc))
        except Exception as exc:  # said, and raised to whoever waits for the node
            log.exception("cluster node %s did not start", node.name)
            self.notice(None, f"cluster node {node.name} did not start: {exc}")

    async def aclose(self) -> None:
        if self.node is not None:
            await self.node.aclose()
            self.node = None

    def runs_here(self, agent_id: str) -> bool:
        """Whether a single-agent run of `agent_id` stays in this process: it claims work
        (it hosts the project) and `lattice.placement` lets it run the agent."""
        return self.claim_work and may_run(self.settings, agent_id, node_name(self.settings))

    async def run_workflow(
        self, workflow_id: str, input_text: str, run_id: str | None
    ) -> RunResult:
        return await self._run(workflow_id, input_text, run_id)

    async def run_agent(
        self, agent_id: str, input_text: str, run_id: str | None, *, trigger: str, task: str
    ) -> RunResult:
        """A single-agent run as a run of one step, claimed by a node the agent is placed on."""
        return await self._run(
            agent_id, input_text, run_id, kind="agent", trigger=trigger, task=task
        )

    async def _run(
        self,
        target: str,
        input_text: str,
        run_id: str | None,
        *,
        kind: str = "workflow",
        trigger: str = "",
        task: str = "",
    ) -> RunResult:
        if self.node is None:
            raise RunError("the cluster is not started")
        try:
            outcome = await self.node.run(
                target, input_text, run_id, kind=kind, trigger=trigger, task=task
            )
        except ClusterError as exc:
            raise RunError(str(exc)) from None
        return RunResult(
            outcome.run_id,
            kind,
            target,
            RunStatus(outcome.status),
            outcome.output,
            outputs=dict(outcome.outputs),
            failed=outcome.failed,
            skipped=outcome.skipped,
            errors=dict(outcome.errors),
            usage=Usage(outcome.prompt_tokens, outcome.completion_tokens),
            activations=outcome.activations,
        )

    # ------------------------------------------------------------ ClusterHost
    async def run_step(self, step: Step, settle: Settle) -> StepOutcome:
        async def settle_result(result: ActivationResult) -> str | None:
            return await settle(_step_outcome(result))

        request = TurnRequest(
            agent=self._runtime.agent_config(step.agent_id),
            input=step.input,
            activation_id=new_id(),
            session_id=f"run:{step.run_id}:{step.agent_id}",
            run_id=step.run_id,
            task=step.task,
            upstream=step.upstream,
            notes=step.notes,
            new_session=True,  # an attempt a dead node began leaves nothing to continue
            settle=settle_result,  # recorded in the cluster before its end is journaled here
        )
        result = await self._runtime.activate(request, trigger=step.trigger)
        await self._runtime.journal.durable(alone=True)  # its end, on its way to the record
        return _step_outcome(result)

    def run_started(
        self, run_id: str, target: str, input_text: str, kind: str = "workflow"
    ) -> None:
        self._runtime.bus.emit(
            RunStarted, run_id=run_id, run_kind=kind, target=target, input=input_text
        )

    def run_ended(self, outcome: RunOutcome) -> None:
        errors = "; ".join(f"{agent}: {error}" for agent, error in outcome.errors.items())
        self._runtime.bus.emit(
            RunCompleted,
            run_id=outcome.run_id,
            status=RunStatus(outcome.status),
            output=outcome.output,
            failed=outcome.failed,
            skipped=outcome.skipped,
            error=errors or None,
        )
        # Only the node that recorded the end gets here: WorkflowCompleted is deposited once.
        self._runtime.ambient.run_finished(outcome.run_id, outcome.kind)

    def step_skipped(self, run_id: str, agent_id: str, reason: str) -> None:
        self._runtime.bus.emit(AgentSkipped, run_id=run_id, agent_id=agent_id, reason=reason)

    def run_announced(self, run_id: str) -> bool:
        events = self._runtime.journal.events(run_id=run_id, limit=100_000)
        return any(event["kind"] == RunCompleted.kind for event in events)

    def notice(self, run_id: str | None, message: str) -> None:
        self._runtime.bus.emit(RuntimeNotice, run_id=run_id, message=message)

    async def close_stale_steps(self, record_of: RecordOf) -> None:
        """Steps this node was running when it stopped. One whose record is this node's
        died between its record and its journaled end: it ends as recorded. The others
        end `interrupted`, said in the record: the cluster gave them to another node once
        their lease ran out."""
        while self._stale:
            activation = self._stale[0]
            record = await record_of(activation.run_id, activation.agent_id)
            if record is not None and record.activation_id == activation.id:
                self._end_as_recorded(activation, record)
            else:
                self._interrupted(activation)
            self._stale.pop(0)

    def _end_as_recorded(self, activation: ActivationRecord, record: StepRecord) -> None:
        journal, bus = self._runtime.journal, self._runtime.bus
        run_id, agent_id = activation.run_id, activation.agent_id
        if record.status == "completed":
            journal.finish_activation(activation.id, ActivationStatus.COMPLETED, record.output)
            bus.emit(
                AgentCompleted,
                run_id=run_id,
                agent_id=agent_id,
                activation_id=activation.id,
                output=record.output,
                prompt_tokens=record.prompt_tokens,
                completion_tokens=record.completion_tokens,
            )
        else:
            journal.finish_activation(activation.id, ActivationStatus.FAILED, None, record.error)
            bus.emit(
                AgentFailed,
                run_id=run_id,
                agent_id=agent_id,
                activation_id=activation.id,
                error=record.error,
            )

    def _interrupted(self, activation: ActivationRecord) -> None:
        self._runtime.journal.finish_activation(
            activation.id, ActivationStatus.INTERRUPTED, None, "node stopped"
        )
        self._runtime.bus.emit(
            AgentFailed,
            run_id=activation.run_id,
            agent_id=activation.agent_id,
            activation_id=activation.id,
            error="this node stopped while running it; the cluster retries it elsewhere",
            error_kind=ErrorKind.CANCELLED,
        )


def _step_outcome(result: ActivationResult) -> StepOutcome:
    return StepOutcome(
        ok=result.ok,
        activation_id=result.activation_id,
        output=result.output,
        error=result.error or "",
        error_kind=str(result.error_kind or ""),
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
    )
