"""Token budgets, checked before every LLM call of an activation.

`per_call` bounds one request (prompt + completion), `per_execution` one activation (a
workflow step or a chat turn, all its tool rounds included). The check happens *before* the
request is sent: the prompt is counted, and the completion is capped (`max_tokens`) at what
the budgets still allow, so a call can neither start nor end over budget. With
`overflow_policy: warn` the call goes ahead uncapped and a warning is recorded instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from axo_tui.core.base.errors import AxoError
from axo_tui.core.config.schema import OverflowPolicy, TokenBudget


class BudgetExceededError(AxoError):
    """An LLM call was refused before it was sent because it would break a budget."""

    def __init__(self, agent_id: str, limit: str, allowed: int, requested: int) -> None:
        super().__init__(
            f"agent '{agent_id}': {limit} budget of {allowed} tokens would be exceeded "
            f"(this call needs at least {requested}); the call was not sent. Raise "
            f"token_budget.{limit} or shorten the input."
        )
        self.agent_id = agent_id
        self.limit = limit
        self.allowed = allowed
        self.requested = requested


@dataclass(frozen=True)
class BudgetDecision:
    max_tokens: int | None
    """The completion cap to send, or None for the provider's default."""
    warnings: tuple[tuple[str, int, int], ...] = ()
    """(limit name, allowed, requested) for each budget a `warn` policy let through."""


# A completion shorter than this is not worth sending: the call would be cut off at once.
MIN_COMPLETION_TOKENS = 8


class ExecutionBudget:
    """The budget state of one activation."""

    def __init__(self, agent_id: str, budget: TokenBudget, *, spent: int = 0) -> None:
        self.agent_id = agent_id
        self.budget = budget
        self.spent = spent
        """Tokens used by this activation so far (real usage, as the provider reported it)."""

    def check(self, prompt_tokens: int, wanted_completion: int | None) -> BudgetDecision:
        """Decide the completion cap for a call whose prompt is `prompt_tokens` long."""
        limits: list[tuple[str, int]] = []
        if self.budget.per_call is not None:
            limits.append(("per_call", self.budget.per_call))
        if self.budget.per_execution is not None:
            limits.append(("per_execution", self.budget.per_execution - self.spent))
        cap = wanted_completion
        warnings: list[tuple[str, int, int]] = []
        needed = prompt_tokens + min(
            MIN_COMPLETION_TOKENS, wanted_completion or MIN_COMPLETION_TOKENS
        )
        for name, room in limits:
            allowed = self.budget.per_call if name == "per_call" else self.budget.per_execution
            assert allowed is not None
            if needed > room:
                requested = needed if name == "per_call" else needed + self.spent
                if self.budget.overflow_policy is OverflowPolicy.ABORT:
                    raise BudgetExceededError(self.agent_id, name, allowed, requested)
                warnings.append((name, allowed, requested))
                continue
            if self.budget.overflow_policy is OverflowPolicy.ABORT:
                room_for_completion = room - prompt_tokens
                cap = room_for_completion if cap is None else min(cap, room_for_completion)
        return BudgetDecision(cap, tuple(warnings))

    def record(self, tokens: int) -> None:
        self.spent += tokens
