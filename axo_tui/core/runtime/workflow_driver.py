"""Driving one workflow run: each agent starts the moment its dependencies have finished.

An activation that ends marks itself in the run's state and starts the dependents it made
ready, still inside its own task. Waking a driver task to do that cost each step of a chain
two loop turns (the completion callback, then the driver), and watching every running task
from one `asyncio.wait` re-registered a callback on each of them at every wake-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from axo_tui.core.base.ids import new_id
from axo_tui.core.config.schema import AgentConfig, UpstreamFailurePolicy
from axo_tui.core.runtime.agent_turn import TurnRequest
from axo_tui.core.runtime.lattice import WorkflowRunState
from axo_tui.core.runtime.runs import ActivationResult

Activate = Callable[[TurnRequest], Awaitable[ActivationResult]]


class WorkflowDriver:
    def __init__(
        self,
        *,
        run_id: str,
        state: WorkflowRunState,
        agents: Mapping[str, AgentConfig],
        input_text: str,
        guard: int,
        fresh: bool,
        activate: Activate,
        on_skip: Callable[[str, str], None],
        on_start: Callable[[str], None],
    ) -> None:
        self.run_id = run_id
        self.state = state
        self.agents = agents
        self.input_text = input_text
        self.guard = guard
        self.fresh = fresh
        """In a fresh run every agent's session is new; a resumed one may hold an
        interrupted turn."""
        self._activate = activate
        self._on_skip = on_skip
        self._on_start = on_start
        self.running: dict[str, asyncio.Task[ActivationResult]] = {}
        self._idle: asyncio.Future[asyncio.Task[Any] | None] | None = None

    async def drive(self) -> None:
        """Run until nothing runs and nothing more can start. An activation that ends
        abnormally (cancelled, or a journal failure) ends the drive with its exception;
        whatever still runs is cancelled."""
        self._idle = asyncio.get_running_loop().create_future()
        try:
            self._advance(self.state.ready())
            if not self.running:
                return
            broken = await self._idle
            if broken is not None:
                broken.result()  # re-raises what ended that activation
        finally:
            running = list(self.running.values())
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    def _advance(self, candidates: Iterable[str]) -> None:
        """Start (or skip) each ready candidate, in declaration order; a skip may make its
        own dependents ready, which are taken in the next round."""
        order = self.state.order
        round_ = sorted(set(candidates), key=order.__getitem__)
        while round_:
            unblocked: set[str] = set()
            for agent_id in round_:
                if not self.state.is_ready(agent_id):
                    continue
                if not self._start_or_skip(agent_id):
                    unblocked.update(self.state.ready_after(agent_id))
            round_ = sorted(unblocked, key=order.__getitem__)
        if not self.running and self._idle is not None and not self._idle.done():
            self._idle.set_result(None)

    def _start_or_skip(self, agent_id: str) -> bool:
        """Start the agent's activation; False when it is skipped instead."""
        state = self.state
        agent = self.agents[agent_id]
        upstream_failed = state.failed_upstream(agent_id)
        if upstream_failed and agent.on_upstream_failure is UpstreamFailurePolicy.SKIP:
            self._skip(agent_id, f"upstream {', '.join(upstream_failed)} did not complete")
            return False
        if state.activations >= self.guard:
            self._skip(
                agent_id, f"run reached its limit of {self.guard} activations (max_activations)"
            )
            return False
        notes = tuple(
            f"Note: upstream agent '{dep}' did not complete ({state.errors.get(dep, '')})."
            for dep in upstream_failed
        )
        state.mark_running(agent_id)
        self._on_start(agent_id)
        request = TurnRequest(
            agent=agent,
            input=self.input_text,
            activation_id=new_id(),
            session_id=f"run:{self.run_id}:{agent_id}",
            run_id=self.run_id,
            upstream=tuple(state.upstream_context(agent_id)),
            notes=notes,
            new_session=self.fresh,
        )
        self.running[agent_id] = asyncio.ensure_future(self._step(request))
        return True

    def _skip(self, agent_id: str, reason: str) -> None:
        self.state.mark_skipped(agent_id, reason)
        self._on_skip(agent_id, reason)

    async def _step(self, request: TurnRequest) -> ActivationResult:
        try:
            result = await self._activate(request)
        except BaseException:
            # Raised instead of returning (cancelled, a journal failure): ends the drive.
            # Told from here rather than by a done-callback on every task, which cost each
            # activation a callback and a loop turn.
            self._broken(asyncio.current_task())
            raise
        agent_id = request.agent.id
        # Still in the activation's task: its dependents start in this same loop turn.
        self.running.pop(agent_id, None)
        if result.ok:
            self.state.mark_completed(agent_id, result.output)
        else:
            self.state.mark_failed(agent_id, result.error or "failed")
        self._advance(self.state.ready_after(agent_id))
        return result

    def _broken(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None and self._idle is not None and not self._idle.done():
            self._idle.set_result(task)
