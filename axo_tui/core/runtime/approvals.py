"""Tool approvals: a human in the loop that fails closed, and runs a tool exactly once.

Every tool call of an activation passes `AgentRunner._run_tool`, which asks `ApprovalGate`
whether the call needs approval (`tools.approval_policy`). If so, the gate:

1. finds the approval this call already has (a rerun after a crash reruns the turn: the same
   call, with the same arguments hash, in an interrupted attempt of the same run and agent)
   or writes a new one: pending, or decided at once by a remembered rule. The row is
   committed before anyone is asked.
2. while it is pending, announces it (`approval.requested`, again after a restart) and waits
   without blocking the loop: woken by `Runtime.decide_approval`, and polling the journal
   for answers from other processes (`axo approvals approve` beside a running runtime).
   At `expires_at` it is denied: no answer never means yes.
3. acts on the decision once: a denial comes back to the model as a clear "denied" result;
   an approval marks the call started (committed) before the tool runs and records its
   result after. A call that started before a crash is never run again, and a finished one
   returns its recorded result. So across kill -9 the tool runs at most once, and exactly
   once when the process survives the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from axo_tui.core.base.enums import ActivationStatus, RunStatus
from axo_tui.core.base.errors import AxoError
from axo_tui.core.base.ids import new_id
from axo_tui.core.config.schema import AgentConfig, ApprovalSettings
from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import ApprovalDecided, ApprovalRequested
from axo_tui.core.providers.base import ToolCall
from axo_tui.core.store.approvals import (
    ApprovalRecord,
    ApprovalRule,
    ApprovalStatus,
    Decision,
    Remember,
)
from axo_tui.core.store.journal import Journal
from axo_tui.core.tools.approval_policy import approval_timeout, args_hash, needs_approval
from axo_tui.core.tools.registry import Tool

POLL_SECS = 0.5
"""How often a waiting call looks in the journal for an answer given in another process."""

ToolRun = Callable[[], Awaitable[tuple[str, bool]]]
"""Runs the tool: (result, ok)."""
RUN_ENDED = "run-ended"
"""`decided_by` of an approval denied because its run ended while it waited."""


class ApprovalError(AxoError):
    """A decision that cannot be recorded. `code`: `not_found` (no such id: 404 over HTTP),
    `conflict` (decided already, timed out, other arguments) or `gone` (its run ended)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class ApprovalScope:
    """One turn's view of its approvals: which rows it already used, and which attempts'
    rows it may take over (its own, and the interrupted attempts of its run it reruns)."""

    agent: AgentConfig
    run_id: str | None
    activation_id: str
    used: set[str] = field(default_factory=set)
    attempts: list[str] | None = None


class ApprovalGate:
    def __init__(
        self,
        journal: Journal,
        bus: EventBus,
        settings: Callable[[], ApprovalSettings],
        *,
        poll_secs: float = POLL_SECS,
    ) -> None:
        self._journal = journal
        self._bus = bus
        self._settings = settings
        """The project's `approvals:` (read at each call: a config reload applies)."""
        self._poll_secs = poll_secs
        self._wakers: dict[str, asyncio.Event] = {}

    def required(self, agent: AgentConfig, name: str, tool: Tool | None) -> bool:
        acts = tool is not None and tool.needs_approval
        return needs_approval(name, acts, agent, self._settings())

    def wake(self, approval_id: str) -> None:
        """An answer was recorded in this process: the waiting call looks at once."""
        waker = self._wakers.get(approval_id)
        if waker is not None:
            waker.set()

    async def guard(self, scope: ApprovalScope, call: ToolCall, run: ToolRun) -> tuple[str, bool]:
        """The call's result, once a human (or a rule) decided; see the module docstring."""
        digest = args_hash(call.arguments)
        record = self._reuse(scope, call.name, digest)
        if record is None:
            record = self._create(scope, call, digest)
            await self._journal.durable()  # on disk before anyone is asked
        if record.pending:
            self._announce(record)
            record = await self._wait(record)
        if record.started_at is not None:
            if record.finished_at is not None and record.result is not None:
                return record.result, bool(record.ok)  # ran before a crash: its result
            return (
                f"error: this approved call of '{call.name}' started before axo stopped and "
                "may have done its work; it is not run a second time (check its effect)",
                False,
            )
        self._bus.emit(
            ApprovalDecided,
            run_id=record.run_id,
            agent_id=record.agent_id,
            approval_id=record.id,
            tool=record.tool,
            decision=Decision.APPROVE
            if record.status == ApprovalStatus.APPROVED
            else Decision.DENY,
            decided_by=record.decided_by or "",
            remember=record.remember or Remember.ONCE,
        )
        if record.status != ApprovalStatus.APPROVED:
            return denied_result(record), False
        if not self._journal.start_approved_call(record.id):
            return f"error: the approved call of '{call.name}' already ran; not run twice", False
        await self._journal.durable()  # "started" is on disk before the tool acts
        result, ok = await run()
        self._journal.finish_approved_call(record.id, ok, result)
        await self._journal.durable()
        return result, ok

    def _reuse(self, scope: ApprovalScope, tool: str, digest: str) -> ApprovalRecord | None:
        if scope.attempts is None:
            interrupted = [
                a.id
                for a in self._journal.activations(scope.run_id or "")
                if a.agent_id == scope.agent.id and a.status == ActivationStatus.INTERRUPTED
            ]
            scope.attempts = [*interrupted, scope.activation_id]
        for record in self._journal.approvals_for_call(
            scope.run_id, scope.agent.id, tool, digest, scope.attempts
        ):
            if record.id not in scope.used:
                scope.used.add(record.id)
                return record
        return None

    def _create(self, scope: ApprovalScope, call: ToolCall, digest: str) -> ApprovalRecord:
        agent = scope.agent
        rule = self._journal.approval_rule(agent.id, call.name)
        decided = None
        if rule is not None:
            approved = rule.decision == Decision.APPROVE
            status = ApprovalStatus.APPROVED if approved else ApprovalStatus.DENIED
            decided = (status, "rule", str(Remember.ALWAYS))
        approval_id = new_id()
        timeout = approval_timeout(agent, self._settings())
        self._journal.create_approval(
            approval_id,
            run_id=scope.run_id,
            activation_id=scope.activation_id,
            agent_id=agent.id,
            tool=call.name,
            arguments=call.arguments,
            args_hash=digest,
            expires_at=time.time() + timeout,
            decided=decided,
        )
        scope.used.add(approval_id)
        record = self._journal.approval(approval_id)
        assert record is not None
        return record

    def _announce(self, record: ApprovalRecord) -> None:
        self._bus.emit(
            ApprovalRequested,
            run_id=record.run_id,
            agent_id=record.agent_id,
            activation_id=record.activation_id,
            approval_id=record.id,
            tool=record.tool,
            arguments=record.arguments,
            args_hash=record.args_hash,
            expires_at=record.expires_at,
        )

    async def _wait(self, record: ApprovalRecord) -> ApprovalRecord:
        waker = self._wakers.setdefault(record.id, asyncio.Event())
        try:
            while True:
                current = self._journal.approval(record.id) or record
                if not current.pending:
                    return current
                if self._run_ended(current):
                    # Its run was cancelled (or failed) while a call outside the run's task
                    # waited, a WASM guest's: no answer can come, so it is denied now.
                    self._journal.decide_approval(
                        record.id, ApprovalStatus.DENIED, RUN_ENDED, str(Remember.ONCE)
                    )
                    await self._journal.durable()
                    continue
                remaining = current.expires_at - time.time()
                if remaining <= 0:
                    # Fails closed. A last-moment answer may win the race: read again.
                    self._journal.decide_approval(
                        record.id, ApprovalStatus.DENIED, "timeout", str(Remember.ONCE)
                    )
                    await self._journal.durable()
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waker.wait(), min(self._poll_secs, remaining))
                waker.clear()
        finally:
            self._wakers.pop(record.id, None)

    def _run_ended(self, record: ApprovalRecord) -> bool:
        run = self._journal.get_run(record.run_id) if record.run_id else None
        return run is not None and run.status not in (RunStatus.RUNNING, RunStatus.INTERRUPTED)


def denied_result(record: ApprovalRecord) -> str:
    """What the model reads when its call was refused: plain enough that it does not retry."""
    if record.decided_by == "timeout":
        waited = max(0.0, round(record.expires_at - record.created_at, 1))
        why = f"no one approved it within {waited:g}s (approvals fail closed)"
    elif record.decided_by == "rule":
        why = "a remembered decision denies this tool to this agent"
    elif record.decided_by == RUN_ENDED:
        why = "its run ended before anyone answered"
    else:
        why = "a human denied it"
    return (
        f"denied: the call of '{record.tool}' was not run: {why}. Do not retry it; "
        "tell the user what you wanted to do instead."
    )


def record_decision(
    journal: Journal,
    approval_id: str,
    decision: str,
    remember: str = Remember.ONCE,
    *,
    args_hash: str | None = None,
    exact: bool = True,
) -> ApprovalRecord:
    """Record a human's answer to a pending approval (and, with `remember="always"`, a rule
    for this agent and tool). `exact`: the id as issued (the API); otherwise a unique
    prefix works (the CLI). `args_hash`: the arguments the human saw; other ones refuse.

    Raises:
        ApprovalError: unknown id, not pending, timed out, its run ended, bad values.
    """
    decision = _choice(decision, Decision, "decision")
    remember = _choice(remember, Remember, "remember")
    record = journal.approval(approval_id) if exact else journal.find_approval(approval_id)
    if record is None:
        raise ApprovalError(
            "not_found", f"no approval '{approval_id}'; `axo approvals list` shows the pending ones"
        )
    if args_hash is not None and args_hash != record.args_hash:
        raise ApprovalError(
            "conflict",
            f"approval {record.id} is for other arguments (args_hash {record.args_hash}); "
            "a decision applies only to the exact arguments it was asked for",
        )
    if not record.pending:
        raise ApprovalError(
            "conflict",
            f"approval {record.id} was already decided: {record.status} (by {record.decided_by})",
        )
    if record.expires_at <= time.time():
        journal.decide_approval(record.id, ApprovalStatus.DENIED, "timeout", str(Remember.ONCE))
        raise ApprovalError(
            "conflict", f"approval {record.id} timed out and was denied (approvals fail closed)"
        )
    run = journal.get_run(record.run_id) if record.run_id else None
    if run is not None and run.status not in (RunStatus.RUNNING, RunStatus.INTERRUPTED):
        raise ApprovalError(
            "gone", f"approval {record.id} belongs to run {run.id}, which ended ({run.status})"
        )
    status = ApprovalStatus.APPROVED if decision == Decision.APPROVE else ApprovalStatus.DENIED
    with journal.batch():  # the decision and its rule: one commit
        if not journal.decide_approval(record.id, status, "user", remember):
            raise ApprovalError("conflict", f"approval {record.id} was decided meanwhile")
        if remember == Remember.ALWAYS:
            journal.remember_decision(record.agent_id, record.tool, decision, record.id)
    decided = journal.approval(record.id)
    assert decided is not None
    return decided


def revoke_rule(journal: Journal, agent_id: str, tool: str) -> ApprovalRule:
    """Forget a remembered decision: the agent's next call of `tool` asks again."""
    rule = journal.approval_rule(agent_id, tool)
    if rule is None or not journal.revoke_rule(agent_id, tool):
        raise ApprovalError(
            "not_found",
            f"no remembered decision for agent '{agent_id}' and tool '{tool}'; "
            "`axo approvals rules` lists them",
        )
    return rule


def _choice(value: Any, enum: type[Decision] | type[Remember], what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = " or ".join(f"'{member.value}'" for member in enum)
        raise ApprovalError("invalid", f"{what} must be {allowed}, not {value!r}") from None
