"""The `llm` and `tool` imports as the runtime sees them: which agent asks, in which call.

The host only relays these two calls (they need providers, budgets, tools and approvals,
which live in the runtime: `runtime/wasm_bridge.py`). An `Execution` is one handler call
(`handle_message`, `handle_timer`, `init`): `token_budget.per_execution` counts its tokens,
and the ledger and approvals name it as the activation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from axo_tui.core.acl.message import AclMessage, new_id


@dataclass
class Execution:
    agent: str
    id: str
    message: AclMessage | None = None
    """The message being handled (None for timers and `init`)."""
    tokens: int = 0
    """Tokens `llm` used in this handler call so far."""

    @classmethod
    def start(cls, agent: str, message: AclMessage | None = None) -> Execution:
        return cls(agent, new_id("x"), message)


class HostCalls(Protocol):
    """The runtime's answer to `llm` and `tool`, called on a host worker thread. Raises
    `guest_context.HostCallError` with the ABI code and a reason the guest can read."""

    def llm(self, execution: Execution, prompt: str) -> str: ...
    def tool(self, execution: Execution, name: str, arguments: dict[str, Any]) -> str: ...
