"""Stops a model that loops on tools: too many calls in one reply, or the same calls cycling.

Both end the turn with a clear error long before `max_tool_rounds` would, and before the
extra calls run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from axo_tui.core.base.errors import AxoError
from axo_tui.core.providers.base import ToolCall

MAX_CALLS_PER_REPLY = 32
"""One model reply may ask for at most this many tool calls."""
REPEAT_LIMIT = 3
"""A call, or a cycle of calls (A, B, A, B, ...), this many times in a row ends the turn."""
MAX_CYCLE_LENGTH = 8
"""Cycles up to this many distinct calls long are recognised."""


class ToolLoopError(AxoError):
    """The tool loop went wrong: too many rounds, or the model repeats itself."""


class LoopGuard:
    """The calls of one turn, checked as each reply and each call arrives."""

    def __init__(self, agent_id: str) -> None:
        self._agent_id = agent_id
        self._keys: list[str] = []
        self._names: list[str] = []

    def check_reply(self, calls: Sequence[ToolCall]) -> None:
        if len(calls) > MAX_CALLS_PER_REPLY:
            raise ToolLoopError(
                f"agent '{self._agent_id}' asked for {len(calls)} tool calls in one reply "
                f"(at most {MAX_CALLS_PER_REPLY}); stopping the turn"
            )

    def check_call(self, call: ToolCall) -> None:
        """Record `call`; raise if it completes the REPEAT_LIMIT-th repetition of a cycle."""
        self._keys.append(call.name + json.dumps(call.arguments, sort_keys=True, default=str))
        self._names.append(call.name)
        keys = self._keys
        for length in range(1, MAX_CYCLE_LENGTH + 1):
            span = length * REPEAT_LIMIT
            if len(keys) < span:
                break
            block = keys[-length:]
            if all(keys[-span + i] == block[i % length] for i in range(span - length)):
                self._refuse(length)

    def _refuse(self, length: int) -> None:
        if length == 1:
            raise ToolLoopError(
                f"agent '{self._agent_id}' called tool '{self._names[-1]}' with the same "
                f"arguments {REPEAT_LIMIT} times in a row; stopping the turn to avoid a loop"
            )
        cycle = ", ".join(self._names[-length:])
        raise ToolLoopError(
            f"agent '{self._agent_id}' repeated the same {length} tool calls ({cycle}) "
            f"{REPEAT_LIMIT} times in a row; stopping the turn to avoid a loop"
        )
