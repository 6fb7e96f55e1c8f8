"""The workers of a coordinator pass as Contract Net participants on the ACL bus.

An LLM worker's bids are computed here, for it, from its config and its real current load;
when it wins, its subtask is one activation of the engine (journaled, budgeted, supervised)
in the coordinator's run. A WASM worker on the bus answers the `cfp` itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

from axo_tui.core.acl.message import AclMessage
from axo_tui.core.base.ids import new_id
from axo_tui.core.config.schema import (
    AgentConfig,
    MemorySettings,
    OverflowPolicy,
    RecallSettings,
    Role,
    TokenBudget,
)
from axo_tui.core.coordination.bidding import (
    Bid,
    BidderProfile,
    Refusal,
    compute_bid,
    estimate_tokens,
    model_strength,
)
from axo_tui.core.runtime.agent_turn import TurnRequest
from axo_tui.core.runtime.runs import ActivationResult

SUBTASK_TRIGGER = "coordinator"


class WorkerHost(Protocol):
    def status(self, agent_id: str) -> Any: ...

    async def activate(self, request: TurnRequest, *, trigger: str) -> ActivationResult: ...


def subtask_session(run_id: str, subtask_id: str) -> str:
    """The session of a subtask's activation: how a resumed pass finds what was done."""
    return f"run:{run_id}:{subtask_id}"


def capped(agent: AgentConfig, cap: int | None, policy: OverflowPolicy) -> AgentConfig:
    """`agent` held to at most `cap` tokens this activation (the pass's share), checked
    before every call like its own budget."""
    if cap is None:
        return agent
    budget = agent.token_budget
    own = budget.per_execution
    return dataclasses.replace(
        agent,
        token_budget=dataclasses.replace(
            budget,
            per_execution=cap if own is None else min(own, cap),
            overflow_policy=OverflowPolicy.ABORT
            if policy is OverflowPolicy.ABORT
            else budget.overflow_policy,
        ),
    )


def adhoc_worker(coordinator: AgentConfig, subtask_id: str, tools: tuple[str, ...]) -> AgentConfig:
    """A worker made for a subtask nobody could bid on: the tools it needs, the
    coordinator's provider and model, no memory tools or recall of its own."""
    return AgentConfig(
        id=f"{coordinator.id}.adhoc-{subtask_id}",
        name=f"ad-hoc worker of {coordinator.display_name}",
        provider=coordinator.provider,
        model=coordinator.model,
        role=Role.WORKER,
        system_prompt="You are a worker: do the one subtask you are given, well and briefly.",
        tools=tools,
        token_budget=TokenBudget(),
        memory=MemorySettings(
            core_blocks=(), recall=RecallSettings(passive_inject=False), tools=()
        ),
    )


class WorkerContractor:
    """An LLM worker's Contract Net side (its bids, its awarded work)."""

    def __init__(
        self,
        host: WorkerHost,
        agent: AgentConfig,
        tools: frozenset[str],
        model: str,
        order: int,
        busy: Callable[[], int],
    ) -> None:
        self._host = host
        self.agent = agent
        self.profile = BidderProfile(
            agent.id, tools, agent.token_budget.per_execution, model_strength(model), order
        )
        self._busy = busy
        """Subtasks awarded to it and not finished (the endpoint counts them)."""
        self._own_running = 0

    def load(self) -> int:
        """Its real current load: awarded subtasks not finished, plus activations it runs for
        anyone else right now (other runs, chats)."""
        running = int(getattr(self._host.status(self.agent.id), "running", 0))
        return self._busy() + max(0, running - self._own_running)

    def bid(self, cfp: AclMessage) -> Bid | Refusal:
        content = cfp.content if isinstance(cfp.content, dict) else {}
        tools = [t for t in content.get("tools", []) if isinstance(t, str)]
        budget = content.get("budget")
        completion = self.agent.sampling.max_tokens or 512
        return compute_bid(
            self.profile,
            tools,
            load=self.load(),
            estimate=estimate_tokens(str(content.get("input", "")), completion=completion),
            pass_remaining=budget if isinstance(budget, int) else None,
        )

    async def perform(self, accept: AclMessage) -> tuple[bool, str]:
        content = accept.content if isinstance(accept.content, dict) else {}
        run_id = str(content.get("run_id", ""))
        cap = content.get("budget")
        policy = OverflowPolicy(content.get("overflow_policy", OverflowPolicy.ABORT.value))
        request = TurnRequest(
            agent=capped(self.agent, cap if isinstance(cap, int) else None, policy),
            input=str(content.get("input", "")),
            activation_id=new_id(),
            session_id=subtask_session(run_id, str(content.get("subtask", ""))),
            run_id=run_id,
            new_session=True,
        )
        self._own_running += 1
        try:
            result = await self._host.activate(request, trigger=SUBTASK_TRIGGER)
        finally:
            self._own_running -= 1
        return (True, result.output) if result.ok else (False, result.error or "failed")


def worker_agents(leads: list[AgentConfig], agents: tuple[AgentConfig, ...]) -> list[AgentConfig]:
    """The `role: worker` agents among `leads` (the agents of the led workflows), in the
    config's declaration order."""
    wanted = {a.id for a in leads}
    return [a for a in agents if a.id in wanted and a.role is Role.WORKER]
