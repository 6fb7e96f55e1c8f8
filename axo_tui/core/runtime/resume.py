"""Resume the runs a crash left unfinished.

The journal is the truth: a run still `running` in it was cut short, unless the process that
owns it is alive (each runtime holds a lease, `store.owner_lease`, so `axo dev` starting up
never steals a run that `axo workflow run` is executing in another terminal). Resuming a run:

* **workflow**: rebuild the run's `WorkflowRunState` from its activations. A completed
  activation keeps its journaled output and never runs again; a failed one stays failed; one
  still `running` was interrupted: its row becomes `interrupted` and the agent runs again, in
  a new activation, under the same run id. Then the run is driven to its end as usual.
  A rerun starts the turn over: tool calls the interrupted attempt made happen again if the
  model makes them again. Calls of tools not declared idempotent are named in a warning and
  on the interrupted row.
* **agent, chat, proactive** (one turn): the interrupted turn runs again in the same session.
  Its user message was saved before the crash; the turn's messages are rewound first, so the
  message is not duplicated. If the session moved on since (a later turn), re-running would
  reorder the conversation, so the run is marked interrupted instead. The rerun holds the
  session (`Runtime.session_turns`) from that check to its end: a turn sent meanwhile waits,
  and front ends ask `interrupted_turn` to show the rerun and hold their input.
* **skill, signal** and anything else: a cascade's pheromone state is not journaled, so it
  cannot be continued faithfully; the run ends `failed` with the reason (its completed
  activations and outputs stay in the journal). Never silently dropped.

A crash and a stop are told apart. A run the process was driving when it was stopped on
purpose (Ctrl+C) is recorded `interrupted` (`interrupt_runs`): it is resumed only when someone
asks for it (`resume_run`, `resume_unfinished(include_interrupted=True)`), or cancelled
(`cancel_stopped_run`). A run still `running` whose owner is dead was cut by a crash: a
start-up resumes it by itself, `RESUME_AT_ONCE` at a time.

Usage of an interrupted attempt stays in the ledger once, under its own activation: it was
real spend. The rerun's usage is recorded under the new activation.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from axo_tui.core.base.enums import ActivationStatus, RunStatus
from axo_tui.core.base.errors import AxoError
from axo_tui.core.base.ids import new_id
from axo_tui.core.config.schema import AgentConfig, WorkflowConfig
from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import RunStarted, RuntimeNotice
from axo_tui.core.runtime.agent_turn import TurnRequest
from axo_tui.core.runtime.lattice import NodeState, WorkflowRunState
from axo_tui.core.runtime.runs import RunBook, RunError, RunResult
from axo_tui.core.runtime.session_turns import SessionTurns
from axo_tui.core.store.journal import ActivationRecord, Journal, RunRecord
from axo_tui.core.store.owner_lease import owner_alive
from axo_tui.core.tools import ToolRegistry

log = logging.getLogger(__name__)

TURN_KINDS = frozenset({"agent", "chat", "proactive"})
"""Run kinds that are one `run_agent` turn."""
RESUME_AT_ONCE = 2
"""Resumed runs driven at the same time: ten crashed research runs must not start together
on a two-core box; the others wait their turn."""
STOPPED_BY_USER = "stopped by the user (Ctrl+C); `axo runs resume` runs it again"


class ResumeHost(RunBook, Protocol):
    """What resuming needs of the runtime it resumes runs in (the Runtime implements it)."""

    @property
    def journal(self) -> Journal: ...

    @property
    def state_dir(self) -> Path: ...

    @property
    def owner(self) -> str: ...

    @property
    def bus(self) -> EventBus: ...

    @property
    def tools(self) -> ToolRegistry: ...

    @property
    def session_turns(self) -> SessionTurns: ...

    def agent_config(self, agent_id: str) -> AgentConfig: ...

    def plan_workflow(
        self, workflow_id: str
    ) -> tuple[WorkflowConfig, dict[str, AgentConfig], WorkflowRunState]: ...

    async def continue_workflow(
        self,
        run_id: str,
        workflow: WorkflowConfig,
        agents: Mapping[str, AgentConfig],
        state: WorkflowRunState,
        input_text: str,
        *,
        fresh: bool = False,
    ) -> RunResult: ...

    async def run_turn(self, run_kind: str, request: TurnRequest, *, trigger: str) -> RunResult: ...

    async def resume_coordinator(self, record: RunRecord) -> RunResult: ...


# ------------------------------------------------------------------- stopped runs
@dataclass(frozen=True)
class StoppedRuns:
    """The runs no live process drives: `crashed` ones (still `running`, owner dead) and
    `interrupted` ones (stopped on purpose), oldest first."""

    crashed: list[RunRecord]
    interrupted: list[RunRecord]


def stopped_runs(runtime: ResumeHost) -> StoppedRuns:
    journal = runtime.journal
    crashed = [
        run
        for run in reversed(journal.list_runs(limit=1_000_000, status=RunStatus.RUNNING))
        if not owner_alive(runtime.state_dir, journal.run_owner(run.id))
    ]
    interrupted = list(reversed(journal.list_runs(limit=1_000_000, status=RunStatus.INTERRUPTED)))
    return StoppedRuns(crashed, interrupted)


async def interrupt_runs(runtime: ResumeHost, reason: str = STOPPED_BY_USER) -> list[str]:
    """Record every run this runtime drives as `interrupted`: it was stopped on purpose, not
    cut by a crash, so no start-up resumes it by itself. Its running activations end
    `interrupted` (the resume runs them again). Call once the runs' tasks are cancelled.
    Returns the run ids."""
    journal = runtime.journal
    stopped = []
    for run in journal.list_runs(limit=1_000_000, status=RunStatus.RUNNING):
        if run.kind == "consolidation" or journal.run_owner(run.id) != runtime.owner:
            continue  # consolidation tidies memory; a later one does it again
        activations = journal.activations(run.id)
        for activation in activations:
            if activation.status == ActivationStatus.RUNNING:
                journal.finish_activation(activation.id, ActivationStatus.INTERRUPTED, None, reason)
        await runtime.end_run(
            run.id,
            run.kind,
            run.target,
            RunStatus.INTERRUPTED,
            "",
            outputs={
                a.agent_id: a.output or ""
                for a in activations
                if a.status == ActivationStatus.COMPLETED
            },
            errors={run.target: reason},
            activations=len(activations),
        )
        stopped.append(run.id)
    return stopped


async def cancel_stopped_run(runtime: ResumeHost, run_id: str) -> RunResult:
    """Cancel a run no live process drives (crashed or interrupted): it ends `cancelled` and
    is never resumed. Its unfinished activations end `cancelled`.

    Raises:
        RunResumeError: no such run, it already ended, or a live process drives it.
    """
    journal = runtime.journal
    record = journal.get_run(run_id)
    if record is None:
        raise RunResumeError(f"no run '{run_id}'; list runs with `axo runs list`")
    if record.status not in (RunStatus.RUNNING, RunStatus.INTERRUPTED):
        raise RunResumeError(f"run {record.id} already ended ({record.status}); nothing to cancel")
    owner = journal.run_owner(record.id)
    if record.status == RunStatus.RUNNING and owner_alive(runtime.state_dir, owner):
        raise RunResumeError(
            f"run {record.id} is running in another axo process; stop it there "
            "(`x` in axo dev, Ctrl+C in a terminal)"
        )
    if not journal.claim_run(record.id, owner, runtime.owner):
        raise RunResumeError(f"run {record.id} was taken by another process meanwhile")
    activations = journal.activations(record.id)
    errors = {}
    for activation in _open_attempts(activations):
        if activation.status == ActivationStatus.RUNNING:
            journal.finish_activation(activation.id, ActivationStatus.CANCELLED, None, "cancelled")
        errors[activation.agent_id] = "cancelled before it finished"
    return await runtime.end_run(
        record.id,
        record.kind,
        record.target,
        RunStatus.CANCELLED,
        "",
        outputs={
            a.agent_id: a.output or ""
            for a in activations
            if a.status == ActivationStatus.COMPLETED
        },
        errors=errors or {record.target: "cancelled by the user"},
        activations=len(activations),
    )


def _open_attempts(activations: list[ActivationRecord]) -> list[ActivationRecord]:
    """Each agent's last attempt when it did not finish (`running`: cut by a crash;
    `interrupted`: stopped, or marked by an earlier resume that did not get to rerun it)."""
    last: dict[str, ActivationRecord] = {}
    for activation in activations:  # oldest first: a later attempt wins
        last[activation.agent_id] = activation
    return [
        a
        for a in last.values()
        if a.status in (ActivationStatus.RUNNING, ActivationStatus.INTERRUPTED)
    ]


# ------------------------------------------------------------------------------ resume
async def resume_unfinished(
    runtime: ResumeHost, *, include_interrupted: bool = False, at_once: int = RESUME_AT_ONCE
) -> list[RunResult]:
    """Resume the runs a crash left unfinished (and, asked to, the interrupted ones),
    `at_once` at a time, oldest first in the result. Says what it resumes, and what it
    leaves alone, in a notice."""
    stopped = stopped_runs(runtime)
    candidates = stopped.crashed + (stopped.interrupted if include_interrupted else [])
    candidates.sort(key=lambda run: run.created_at)
    _announce(runtime, stopped, len(candidates), include_interrupted, at_once)
    if not candidates:
        return []
    slots = asyncio.Semaphore(max(1, at_once))

    async def one(run_id: str) -> RunResult:
        async with slots:
            return await resume_run(runtime, run_id)

    results = await asyncio.gather(*(one(run.id) for run in candidates), return_exceptions=True)
    finished: list[RunResult] = []
    for result in results:
        if isinstance(result, RunResumeError):
            continue  # another process claimed it first, or it finished meanwhile
        if isinstance(result, BaseException):
            raise result
        finished.append(result)
    return finished


def _announce(
    runtime: ResumeHost, stopped: StoppedRuns, count: int, include_interrupted: bool, at_once: int
) -> None:
    parts = []
    if count:
        runs = f"{count} run{'s' if count != 1 else ''}"
        what = "unfinished" if include_interrupted else "a crash left unfinished"
        pace = f", {at_once} at a time" if count > at_once else ""
        parts.append(f"resuming {runs} {what}{pace}")
    if stopped.interrupted and not include_interrupted:
        n = len(stopped.interrupted)
        parts.append(
            f"{n} interrupted run{'s are' if n != 1 else ' is'} left alone "
            "(`axo runs resume --all` continues, `axo runs cancel --all` drops them)"
        )
    if parts:
        runtime.bus.emit(RuntimeNotice, message="; ".join(parts))


@dataclass(frozen=True)
class InterruptedTurn:
    """A single-turn run a crash cut short that runs again in its session (or will, when
    this runtime resumes unfinished runs)."""

    run_id: str
    agent_id: str
    input: str
    since: float
    """When its first attempt started: the session's messages from then on belong to it."""


def interrupted_turn(runtime: ResumeHost, session_id: str) -> InterruptedTurn | None:
    """The interrupted turn that this runtime reruns, or would rerun, in `session_id`.

    Runs a live process owns are not ours to announce, and neither is a turn that will not
    run again: one whose session moved on (resume marks it interrupted), or one that ended
    but was not closed (resume closes it without running anything)."""
    journal = runtime.journal
    for run in journal.list_runs(limit=1000, status=RunStatus.RUNNING):
        if run.kind not in TURN_KINDS:
            continue
        attempts = [a for a in journal.activations(run.id) if a.session_id == session_id]
        if not attempts or any(
            a.status in (ActivationStatus.COMPLETED, ActivationStatus.FAILED) for a in attempts
        ):
            continue
        owner = journal.run_owner(run.id)
        rerun_here = owner == runtime.owner and any(
            a.status == ActivationStatus.INTERRUPTED for a in attempts
        )
        if not rerun_here and (owner == runtime.owner or owner_alive(runtime.state_dir, owner)):
            continue
        if not rerun_here and _moved_on(runtime, session_id, attempts[-1].started_at):
            continue
        return InterruptedTurn(run.id, run.target, run.input, attempts[0].started_at)
    return None


def _moved_on(runtime: ResumeHost, session_id: str, since: float) -> bool:
    """More than the interrupted turn's own user message arrived since it started."""
    return runtime.journal.session_roles_since(session_id, since).count("user") > 1


class RunResumeError(AxoError):
    """A run cannot be resumed (unknown, finished, or owned by a live process)."""


async def resume_run(runtime: ResumeHost, run_id: str) -> RunResult:
    """Continue one unfinished run to its end under its own run id.

    Raises:
        RunResumeError: no such run, it is not running, or a live process owns it.
    """
    journal = runtime.journal
    record = journal.get_run(run_id)
    if record is None:
        raise RunResumeError(f"no run '{run_id}'; list unfinished runs with `axo runs list`")
    if record.status not in (RunStatus.RUNNING, RunStatus.INTERRUPTED):
        raise RunResumeError(f"run {record.id} already ended ({record.status}); nothing to resume")
    owner = journal.run_owner(record.id)
    if record.status == RunStatus.RUNNING and owner_alive(runtime.state_dir, owner):
        raise RunResumeError(
            f"run {record.id} is still running in another axo process; it is not resumed"
        )
    if not journal.claim_run(record.id, owner, runtime.owner):
        raise RunResumeError(f"run {record.id} was resumed by another process meanwhile")
    activations = journal.activations(record.id)
    done = sum(
        1 for a in activations if a.status in (ActivationStatus.COMPLETED, ActivationStatus.FAILED)
    )
    runtime.bus.emit(
        RuntimeNotice,
        run_id=record.id,
        message=f"resuming {record.kind} run {record.id} ({record.target}): "
        f"{done} activation(s) already finished are kept",
    )
    # Announced again so that live views (the TUI) pick the run up.
    runtime.bus.emit(
        RunStarted,
        run_id=record.id,
        run_kind=record.kind,
        target=record.target,
        input=record.input,
    )
    if record.kind == "workflow":
        return await _resume_workflow(runtime, record, activations)
    if record.kind == "coordinator":  # by run id: its journaled plan, finished subtasks kept
        return await runtime.resume_coordinator(record)
    if record.kind in TURN_KINDS:
        return await _resume_turn(runtime, record, activations)
    return await _give_up(
        runtime,
        record,
        activations,
        f"a {record.kind} run's cascade cannot be continued after a crash; "
        "its finished activations are kept, fire it again to redo the rest",
    )


def _interrupt(runtime: ResumeHost, activation: ActivationRecord, reason: str) -> None:
    risky = _unsafe_tool_calls(runtime, activation) if "again" in reason else []
    if risky:
        # The rerun starts the turn over, so these may happen twice: say so where people
        # look (the run's events, `axo runs show`), naming the calls.
        reason += f"; it had already called tools that are not idempotent: {', '.join(risky)}"
        runtime.bus.emit(
            RuntimeNotice,
            run_id=activation.run_id,
            agent_id=activation.agent_id,
            message=f"agent '{activation.agent_id}' runs again after a crash; its side effects "
            f"may repeat: {', '.join(risky)}",
        )
    runtime.journal.finish_activation(
        activation.id,
        ActivationStatus.INTERRUPTED,
        None,
        f"interrupted: the process stopped; {reason}",
    )


def _unsafe_tool_calls(runtime: ResumeHost, activation: ActivationRecord) -> list[str]:
    """The interrupted attempt's calls of tools not declared idempotent (`Tool.idempotent`);
    a tool the registry does not know (any more) counts as unsafe."""
    calls = []
    for event in runtime.journal.events(run_id=activation.run_id, limit=100_000):
        if event["kind"] != "tool.called" or event.get("activation_id") != activation.id:
            continue
        tool = runtime.tools.get(str(event.get("tool")))
        if tool is None or not tool.idempotent:
            arguments = json.dumps(event.get("arguments", {}), sort_keys=True)
            calls.append(f"{event.get('tool')}({arguments[:200]})")
    return calls


async def _resume_workflow(
    runtime: ResumeHost, record: RunRecord, activations: list[ActivationRecord]
) -> RunResult:
    try:
        workflow, agents, state = runtime.plan_workflow(record.target)
    except RunError as exc:
        return await _give_up(
            runtime, record, activations, f"the workflow cannot be resumed: {exc}"
        )
    open_attempts = {a.id for a in _open_attempts(activations)}
    for activation in activations:  # oldest first: a later attempt wins
        agent_id = activation.agent_id
        if activation.id in open_attempts:
            if activation.status == ActivationStatus.RUNNING:
                _interrupt(runtime, activation, "the agent runs again")
            _rewind(runtime, activation, f"run:{record.id}:{agent_id}")
            continue
        if agent_id not in state.states:
            continue  # the agent left the workflow since; its record stays in the journal
        if activation.status == ActivationStatus.COMPLETED:
            state.states[agent_id] = NodeState.COMPLETED
            state.outputs[agent_id] = activation.output or ""
            state.activations += 1
        elif activation.status == ActivationStatus.FAILED:
            state.states[agent_id] = NodeState.FAILED
            state.errors[agent_id] = activation.error or "failed"
            state.activations += 1
    return await runtime.continue_workflow(record.id, workflow, agents, state, record.input)


async def _resume_turn(
    runtime: ResumeHost, record: RunRecord, activations: list[ActivationRecord]
) -> RunResult:
    finished = [
        a for a in activations if a.status in (ActivationStatus.COMPLETED, ActivationStatus.FAILED)
    ]
    if finished:
        # The turn ended but the run was not closed: close it with the journaled outcome.
        last = finished[-1]
        ok = last.status == ActivationStatus.COMPLETED
        return await runtime.end_run(
            record.id,
            record.kind,
            record.target,
            RunStatus.COMPLETED if ok else RunStatus.FAILED,
            last.output or "",
            outputs={last.agent_id: last.output or ""} if ok else {},
            failed=() if ok else (last.agent_id,),
            errors={} if ok else {last.agent_id: last.error or "failed"},
            activations=1,
        )
    try:
        agent = runtime.agent_config(record.target)
    except RunError as exc:
        return await _give_up(runtime, record, activations, f"the agent cannot run: {exc}")
    interrupted = _open_attempts(activations)
    session_id = f"run:{record.id}:{agent.id}"
    trigger = "resume"
    if interrupted:
        session_id = interrupted[-1].session_id or session_id
        trigger = interrupted[-1].trigger
    # Held from the check on: a turn sent meanwhile would otherwise be rewound with this one's
    # messages, or interleave with the rerun's.
    async with runtime.session_turns.hold(session_id):
        if interrupted:
            last = interrupted[-1]
            if _moved_on(runtime, session_id, last.started_at):
                return await _give_up(
                    runtime,
                    record,
                    activations,
                    f"session '{session_id}' moved on after the crash; running the turn again "
                    "would reorder the conversation",
                )
            for activation in interrupted:
                if activation.status == ActivationStatus.RUNNING:
                    _interrupt(runtime, activation, "the turn runs again")
            _rewind(runtime, last, session_id)
        request = TurnRequest(
            agent=agent,
            input=record.input,
            activation_id=new_id(),
            session_id=session_id,
            run_id=record.id,
        )
        return await runtime.run_turn(record.kind, request, trigger=trigger)


def _rewind(runtime: ResumeHost, activation: ActivationRecord, default_session: str) -> None:
    """Drop what the interrupted attempt wrote to its session: its user message comes back
    when the turn runs again, and a half-finished tool round must not be replayed as history."""
    session_id = activation.session_id or default_session
    dropped = runtime.journal.rewind_session(session_id, activation.started_at)
    if dropped:
        log.info("rewound %d message(s) of %s for a rerun", dropped, session_id)


async def _give_up(
    runtime: ResumeHost, record: RunRecord, activations: list[ActivationRecord], reason: str
) -> RunResult:
    for activation in activations:
        if activation.status == ActivationStatus.RUNNING:
            _interrupt(runtime, activation, "not run again")
    completed = [a for a in activations if a.status == ActivationStatus.COMPLETED]
    # `failed`, not `interrupted`: resuming it again could only give up again.
    return await runtime.end_run(
        record.id,
        record.kind,
        record.target,
        RunStatus.FAILED,
        "",
        outputs={a.agent_id: a.output or "" for a in completed},
        errors={record.target: f"interrupted and not resumable: {reason}"},
        activations=len(completed),
    )
