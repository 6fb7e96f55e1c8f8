"""Coordinator passes: a workflow led by a `role: coordinator` agent runs as one pass.

A pass is a run of kind `coordinator` (target: the workflow) through the one engine:

1. **Plan.** The goal (the run's input) is decomposed by the workflow's HTN methods; only
   frontiers go to the coordinator's model (JSON, repaired a bounded number of times). The
   plan is journaled before any work starts.
2. **Auction.** Each subtask is put out by the Contract Net Protocol on the ACL bus, one
   auction after the other so that every bid sees the load of the awards before it. When no
   worker can bid, an ad-hoc worker is made for the subtask and auctioned to.
3. **Work.** Winners work in parallel, each under its own budget and under the pass's: the
   coordinator's `per_execution`, shared by the subtasks started together, one share kept
   for the synthesis.
4. **Synthesis** by the coordinator's model, told which subtasks failed. If all failed, the
   pass fails. A pass cut by kill -9 resumes by run id: finished subtasks are kept, never
   sent to a provider again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from axo_tui.core.base.enums import ActivationStatus, RunStatus
from axo_tui.core.base.errors import AxoError
from axo_tui.core.base.ids import new_id
from axo_tui.core.config.htn_methods import load_methods
from axo_tui.core.config.problems import ConfigError
from axo_tui.core.config.schema import AgentConfig, AgentKind, Config, Role, WorkflowConfig
from axo_tui.core.coordination.contract_net import Auction, CnpEndpoint, Outcome
from axo_tui.core.coordination.frontier import (
    REPAIR_ROUNDS,
    FrontierReplyError,
    frontier_prompt,
    parse_subtasks,
    quote,
    repair_prompt,
)
from axo_tui.core.coordination.htn import DONE_PREFIX, HtnPlanner, PlanError, Task
from axo_tui.core.coordination.htn import plan_with_frontiers as plan_tasks
from axo_tui.core.coordination.subtasks import Subtask, from_plan_json, number, plan_json
from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import AuctionClosed, CoordinatorPlanned, SubtaskFinished
from axo_tui.core.runtime.agent_turn import ResolvedProvider, TurnRequest
from axo_tui.core.runtime.coordinator_workers import (
    SUBTASK_TRIGGER,
    WorkerContractor,
    adhoc_worker,
    capped,
    subtask_session,
    worker_agents,
)
from axo_tui.core.runtime.runs import ActivationResult, RunBook, RunResult
from axo_tui.core.store.journal import ActivationRecord, Journal, RunRecord
from axo_tui.core.tools import ToolRegistry

RUN_KIND = "coordinator"
BID_WINDOW_SECS = 2.0
"""`reply_by` of a call for proposals: computed bids arrive in microseconds; a WASM bidder
gets this long."""
RESULT_TIMEOUT_SECS = 600.0
"""A winner that sends neither `inform` nor `failure` within this fails its subtask."""


class CoordinatorHost(RunBook, Protocol):
    """What a pass needs of the runtime (the Runtime implements it)."""

    config: Config

    @property
    def journal(self) -> Journal: ...

    @property
    def bus(self) -> EventBus: ...

    @property
    def tools(self) -> ToolRegistry: ...

    @property
    def acl_router(self) -> Any: ...

    @property
    def conversation_runs(self) -> dict[str, str]: ...

    def status(self, agent_id: str) -> Any: ...

    def spawn(self, coro: Any) -> asyncio.Task[Any]: ...

    def resolve_provider(self, agent: AgentConfig) -> ResolvedProvider: ...

    async def activate(self, request: TurnRequest, *, trigger: str) -> ActivationResult: ...


class PassError(AxoError):
    """Ends a pass as failed with this message (planning failed, everything failed)."""


def leader_of(config: Config, workflow: WorkflowConfig) -> AgentConfig | None:
    """The workflow's coordinator: its entry point, when that agent is `role: coordinator`."""
    if workflow.entry_point is None:
        return None
    agent = next((a for a in config.agents if a.id == workflow.entry_point), None)
    return agent if agent is not None and agent.role is Role.COORDINATOR else None


class Coordinators:
    """The runtime's coordinator passes, and the world state it keeps for HTN preconditions
    (per workflow: what its config sets, and `done:<task>` for each subtask finished in
    this process)."""

    def __init__(
        self,
        host: CoordinatorHost,
        *,
        bid_window: float = BID_WINDOW_SECS,
        result_timeout: float = RESULT_TIMEOUT_SECS,
    ) -> None:
        self.host = host
        self.bid_window = bid_window
        self.result_timeout = result_timeout
        self._done: dict[str, dict[str, Any]] = {}
        self._endpoints: dict[str, CnpEndpoint] = {}

    def world_state(self, workflow: WorkflowConfig, goal: str) -> dict[str, Any]:
        return {"goal": goal, **dict(workflow.htn_state), **self._done.get(workflow.id, {})}

    async def run(
        self, workflow: WorkflowConfig, leader: AgentConfig, goal: str, run_id: str
    ) -> RunResult:
        self.host.begin_run(run_id, RUN_KIND, workflow.id, goal)
        return await _Pass(self, workflow, leader, goal, run_id).drive(resumed=None)

    async def resume(self, record: RunRecord) -> RunResult:
        host = self.host
        try:
            workflow = host.config.workflow(record.target)
        except KeyError:
            workflow = None
        leader = None if workflow is None else leader_of(host.config, workflow)
        if workflow is None or leader is None:
            return await host.end_run(
                record.id,
                RUN_KIND,
                record.target,
                RunStatus.FAILED,
                "",
                outputs={},
                errors={record.target: "the workflow has no coordinator any more; not resumed"},
            )
        activations = host.journal.activations(record.id)
        for activation in activations:
            if activation.status == ActivationStatus.RUNNING:
                host.journal.finish_activation(
                    activation.id,
                    ActivationStatus.INTERRUPTED,
                    None,
                    "interrupted: the process stopped; the subtask runs again",
                )
        return await _Pass(self, workflow, leader, record.input, record.id).drive(
            resumed=activations
        )

    def endpoint(self, name: str) -> CnpEndpoint:
        """`name`'s Contract Net side on the bus, wrapping what was there (its mail)."""
        router = self.host.acl_router
        existing = router.endpoint(name)
        if isinstance(existing, CnpEndpoint):
            return existing
        endpoint = CnpEndpoint(name, existing, asyncio.get_running_loop(), self.host.spawn)
        endpoint.bus = router
        router.register(name, endpoint)
        return endpoint

    def finished(self, workflow_id: str, task: str) -> None:
        self._done.setdefault(workflow_id, {})[DONE_PREFIX + task] = True


class _Pass:
    def __init__(
        self,
        owner: Coordinators,
        workflow: WorkflowConfig,
        leader: AgentConfig,
        goal: str,
        run_id: str,
    ) -> None:
        self.owner = owner
        self.host = owner.host
        self.workflow = workflow
        self.leader = leader
        self.goal = goal
        self.run_id = run_id
        self.overall = leader.token_budget.per_execution
        self.policy = leader.token_budget.overflow_policy
        self.contractors: dict[str, WorkerContractor] = {}
        self.order: dict[str, int] = {}

    # ---------------------------------------------------------------- the pass
    async def drive(self, resumed: list[ActivationRecord] | None) -> RunResult:
        host = self.host
        activations = resumed or []
        subtasks: list[Subtask] = []
        try:
            journaled = self._journaled_plan() if resumed is not None else None
            if journaled is not None:
                subtasks = journaled
            else:
                subtasks = number(await self._plan())
                host.bus.emit(
                    CoordinatorPlanned,
                    run_id=self.run_id,
                    agent_id=self.leader.id,
                    goal=self.goal,
                    subtasks=plan_json(subtasks),
                )
                await host.journal.durable()  # the plan outlives a crash before any work
            self._restore(subtasks, activations)
            await self._work(subtasks)
            if all(s.ok is False for s in subtasks):
                details = "; ".join(f"{s.id} ({s.name}): {s.text}" for s in subtasks)
                raise PassError(f"every subtask failed: {details}")
            output = await self._synthesise(subtasks, activations)
        except (PassError, PlanError) as exc:
            return await self._end(RunStatus.FAILED, "", subtasks, str(exc))
        return await self._end(RunStatus.COMPLETED, output, subtasks, None)

    async def _end(
        self, status: RunStatus, output: str, subtasks: list[Subtask], error: str | None
    ) -> RunResult:
        failed = tuple(s.id for s in subtasks if s.ok is False)
        errors = {s.id: s.text for s in subtasks if s.ok is False}
        if error is not None:
            errors = {self.leader.id: error, **errors}
        return await self.host.end_run(
            self.run_id,
            RUN_KIND,
            self.workflow.id,
            status,
            output,
            outputs={s.id: s.text for s in subtasks if s.ok},
            failed=failed,
            errors=errors,
            activations=len(self.host.journal.activations(self.run_id)),
        )

    # ----------------------------------------------------------------- budget
    def remaining(self) -> int | None:
        if self.overall is None:
            return None
        prompt, completion = self.host.journal.run_tokens(self.run_id)
        return max(0, self.overall - prompt - completion)

    def share(self, parts: int) -> int | None:
        left = self.remaining()
        return None if left is None else left // max(1, parts)

    # --------------------------------------------------------------- planning
    def _journaled_plan(self) -> list[Subtask] | None:
        for event in self.host.journal.events(run_id=self.run_id, limit=100_000):
            if event["kind"] == CoordinatorPlanned.kind:
                return from_plan_json(str(event["subtasks"]))
        return None

    async def _plan(self) -> list[Task]:
        state = self.owner.world_state(self.workflow, self.goal)
        methods = []
        if self.workflow.htn_methods_file is not None:
            try:
                methods = load_methods(
                    Path(self.workflow.htn_methods_file), extra_tools=self.host.tools.names()
                )
            except ConfigError as exc:
                raise PassError(f"the HTN methods cannot be used: {exc}") from None
        planner = HtnPlanner(methods, state)
        root = Task(self.goal, compound=True)
        return await plan_tasks(planner, root, self._ask_model)

    async def _ask_model(self, task: Task, state: Mapping[str, Any]) -> list[Task]:
        """A frontier's subtasks from the coordinator's model, repaired a bounded number of
        times; each question is an activation of the coordinator in this run."""
        tools = sorted(
            {t for c in self._workers() for t in self._tools_of(c)} or set(self.host.tools.names())
        )
        prompt = frontier_prompt(task, state, tools)
        session = f"run:{self.run_id}:{self.leader.id}:plan:{new_id()[:8]}"
        reply = reason = ""
        for attempt in range(REPAIR_ROUNDS + 1):
            result = await self._leader_turn(prompt, session, first=attempt == 0)
            if not result.ok:
                raise PassError(f"decomposing '{task.name}' failed: {result.error}")
            reply = result.output
            try:
                return parse_subtasks(reply)
            except FrontierReplyError as exc:
                prompt = repair_prompt(str(exc))
                reason = str(exc)
        raise PassError(
            f"the coordinator's model gave no usable list of subtasks for '{task.name}' after "
            f"{REPAIR_ROUNDS + 1} tries ({reason}); its last reply was: «{quote(reply)}»"
        )

    async def _leader_turn(self, text: str, session: str, *, first: bool) -> ActivationResult:
        agent = dataclasses.replace(
            capped(self.leader, self.remaining(), self.policy),
            tools=(),
            memory=dataclasses.replace(self.leader.memory, tools=()),
        )
        request = TurnRequest(
            agent=agent,
            input=text,
            activation_id=new_id(),
            session_id=session,
            run_id=self.run_id,
            new_session=first,
        )
        return await self.host.activate(request, trigger=SUBTASK_TRIGGER)

    # ------------------------------------------------------------------ resume
    def _restore(self, subtasks: list[Subtask], activations: list[ActivationRecord]) -> None:
        """Mark the subtasks a killed process finished (their activations, or the events of
        those that failed before any activation): they are never run again."""
        by_session = {subtask_session(self.run_id, s.id): s for s in subtasks}
        for activation in activations:
            subtask = by_session.get(activation.session_id or "")
            if subtask is None:
                continue
            if activation.status == ActivationStatus.COMPLETED:
                subtask.worker, subtask.ok, subtask.text = (
                    activation.agent_id,
                    True,
                    activation.output or "",
                )
            elif activation.status == ActivationStatus.FAILED:
                subtask.worker, subtask.ok, subtask.text = (
                    activation.agent_id,
                    False,
                    activation.error or "failed",
                )
        if not activations:
            return
        by_id = {s.id: s for s in subtasks}
        for event in self.host.journal.events(run_id=self.run_id, limit=100_000):
            if event["kind"] != SubtaskFinished.kind:
                continue
            subtask = by_id.get(str(event["subtask_id"]))
            if subtask is not None and not subtask.finished and not event["ok"]:
                subtask.worker, subtask.ok, subtask.text = (
                    str(event["worker"]),
                    False,
                    str(event["text"]),
                )

    # -------------------------------------------------------------- the work
    def _workers(self) -> list[AgentConfig]:
        config = self.host.config
        leads = [w for w in config.workflows if w.entry_point == self.leader.id] or [self.workflow]
        members = {a for w in leads for a in w.agents}
        return worker_agents([a for a in config.agents if a.id in members], config.agents)

    def _tools_of(self, agent: AgentConfig) -> frozenset[str]:
        names = {tool.name for tool in self.host.tools.allowed(agent.tools)}
        return frozenset(names)

    def _contractor(self, agent: AgentConfig, order: int) -> str:
        self.order[agent.id] = order
        if agent.kind is AgentKind.WASM:  # it answers the cfp itself (docs/coordinator.md)
            return agent.id
        endpoint = self.owner.endpoint(agent.id)
        if endpoint.contractor is None or getattr(endpoint.contractor, "agent", None) != agent:
            try:
                model = self.host.resolve_provider(agent).model
            except Exception:  # a provider that cannot be built still bids; its turn fails
                model = agent.model
            endpoint.contractor = WorkerContractor(
                self.host, agent, self._tools_of(agent), model, order, endpoint.busy
            )
        return agent.id

    async def _work(self, subtasks: list[Subtask]) -> None:
        pending = [s for s in subtasks if not s.finished]
        if not pending:
            return
        workers = self._workers()
        bidders = [self._contractor(agent, i) for i, agent in enumerate(workers)]
        cap = self.share(len(pending) + 1)  # one share stays for the synthesis
        waits = []
        for subtask in pending:
            content = self._call(subtask, cap)
            auction, outcome = await self._auction(bidders, content)
            adhoc = outcome.winner is None
            if adhoc:  # nobody could bid: a worker made for it, with the tools it needs
                self._journal_auction(subtask, outcome, adhoc=False)
                self._close(auction)
                agent = adhoc_worker(self.leader, subtask.id, subtask.tools)
                name = self._contractor(agent, len(workers) + int(subtask.id[1:]))
                auction, outcome = await self._auction([name], content)
            self._journal_auction(subtask, outcome, adhoc=adhoc)
            if outcome.winner is None:
                self._close(auction)
                self._finish(subtask, "", False, _no_taker(outcome))
                continue
            subtask.worker = outcome.winner
            waits.append(self._await_result(subtask, auction))
        if waits:
            await asyncio.gather(*waits)

    async def _auction(
        self, bidders: list[str], content: dict[str, Any]
    ) -> tuple[Auction, Outcome]:
        auction = Auction(self.host.acl_router, self.owner.endpoint(self.leader.id))
        auction.__enter__()
        self.host.conversation_runs[auction.outcome.conversation_id] = self.run_id
        outcome = await auction.call_for_proposals(
            bidders, content, reply_within=self.owner.bid_window, order=self._order
        )
        return auction, outcome

    def _close(self, auction: Auction) -> None:
        auction.__exit__()
        self.host.conversation_runs.pop(auction.outcome.conversation_id, None)

    def _order(self, name: str) -> int:
        return self.order.get(name, 1_000_000)

    def _call(self, subtask: Subtask, cap: int | None) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "subtask": subtask.id,
            "task": subtask.name,
            "tools": list(subtask.tools),
            "input": (
                f"You are one worker of a team. The team's goal: {self.goal}\n\n"
                f"Your subtask: {subtask.name}\n\n"
                "Do only this subtask and answer with its result."
            ),
            "budget": cap,
            "overflow_policy": self.policy.value,
        }

    async def _await_result(self, subtask: Subtask, auction: Auction) -> None:
        try:
            ok, text = await auction.result(self.owner.result_timeout)
        finally:
            self._close(auction)
        self._finish(subtask, subtask.worker or "", ok, text)

    def _finish(self, subtask: Subtask, worker: str, ok: bool, text: str) -> None:
        subtask.worker, subtask.ok, subtask.text = worker, ok, text
        if ok:
            self.owner.finished(self.workflow.id, subtask.name)
        self.host.bus.emit(
            SubtaskFinished,
            run_id=self.run_id,
            agent_id=worker or self.leader.id,
            subtask_id=subtask.id,
            task=subtask.name,
            worker=worker,
            ok=ok,
            text=text,
        )

    def _journal_auction(self, subtask: Subtask, outcome: Outcome, *, adhoc: bool) -> None:
        self.host.bus.emit(
            AuctionClosed,
            run_id=self.run_id,
            agent_id=self.leader.id,
            subtask_id=subtask.id,
            task=subtask.name,
            winner=outcome.winner,
            adhoc=adhoc,
            outcome=json.dumps(outcome.to_dict(), ensure_ascii=False),
        )

    # -------------------------------------------------------------- synthesis
    async def _synthesise(
        self, subtasks: list[Subtask], activations: list[ActivationRecord]
    ) -> str:
        session = f"run:{self.run_id}:{self.leader.id}:synthesis"
        for activation in activations:
            if activation.session_id == session and activation.status == ActivationStatus.COMPLETED:
                return activation.output or ""
        lines = [f"The goal: {self.goal}", "", "Your workers' results, by subtask:"]
        for s in subtasks:
            if s.ok:
                lines.append(f"[{s.id}] {s.name} (by {s.worker}):\n{s.text}")
            else:
                lines.append(f"[{s.id}] {s.name}: FAILED ({s.text})")
        lines += [
            "",
            "Write the final answer to the goal from these results. Where a subtask failed, "
            "say plainly what is missing instead of making it up.",
        ]
        result = await self._leader_turn("\n".join(lines), session, first=True)
        if not result.ok:
            raise PassError(f"the synthesis failed: {result.error}")
        return result.output


def _no_taker(outcome: Outcome) -> str:
    reasons = "; ".join(f"{r.bidder}: {r.reason}" for r in outcome.refusals)
    missed = ", ".join(outcome.missed)
    return (
        "no worker could take it"
        + (f" ({reasons})" if reasons else "")
        + (f"; silent past reply_by: {missed}" if missed else "")
    )
