"""Activation backends: what actually does an agent's turn once the runtime has admitted it.

The runtime journals, streams, budgets and supervises every activation the same way; the
backend only turns a `TurnRequest` into a `TurnOutcome`. The LLM turn (`agent_turn`) is the
first backend; WASM agents and remote A2A agents plug in here, chosen per agent kind by
`build.build_runtime`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from axo_tui.core.base.errors import AxoError
from axo_tui.core.config.schema import A2A_PROVIDER, AgentConfig, AgentKind
from axo_tui.core.events.bus import EventBus
from axo_tui.core.memory.service import AgentMemory
from axo_tui.core.providers.pricing import estimate_cost
from axo_tui.core.runtime.agent_turn import AgentRunner, ResolvedProvider, TurnOutcome, TurnRequest
from axo_tui.core.runtime.approvals import ApprovalGate
from axo_tui.core.runtime.messaging import Messaging
from axo_tui.core.store.journal import Journal
from axo_tui.core.tools import ToolRegistry

LLM = "llm"
"""An agent whose turns a model behind a provider takes."""
A2A = "a2a"
"""A remote A2A agent (`provider: a2a`): `remote_agent.RemoteAgentBackend`."""


class ActivationBackend(Protocol):
    """Does one turn. Raise the runtime's error types (ProviderError, BudgetExceededError,
    ToolLoopError, ...) to have the failure classified; anything else counts as internal."""

    async def run(self, request: TurnRequest) -> TurnOutcome: ...


@dataclass(frozen=True)
class BackendServices:
    """What a started runtime lends its backends (built once per `Runtime.start`)."""

    bus: EventBus
    journal: Journal
    memory: AgentMemory
    tools: ToolRegistry
    project_dir: Path
    data_dir: Path
    resolve_provider: Callable[[AgentConfig], ResolvedProvider]
    emit_signal: Callable[[str, str, str | None], Awaitable[None]]
    approvals: ApprovalGate | None = None
    """Asks a human before tool calls that need it (every backend's tools must pass it)."""
    messaging: Messaging | None = None
    """The ACL bus and the WASM host (`runtime.messaging`)."""


BackendFactory = Callable[[BackendServices], ActivationBackend]
"""Makes a backend from a started runtime's services."""


def llm_backend(services: BackendServices) -> ActivationBackend:
    """The LLM turn: prompt, provider call, tools, memory (`agent_turn.AgentRunner`)."""
    return AgentRunner(
        bus=services.bus,
        journal=services.journal,
        tools=services.tools,
        project_dir=services.project_dir,
        data_dir=services.data_dir,
        resolve_provider=services.resolve_provider,
        estimate_cost=estimate_cost,
        emit_signal=services.emit_signal,
        memory=services.memory,
        approvals=services.approvals,
    )


def a2a_backend(services: BackendServices) -> ActivationBackend:
    """Remote A2A agents (the SDK loads at their first turn, not here)."""
    from axo_tui.core.runtime.remote_agent import RemoteAgentBackend

    return RemoteAgentBackend(services)


def wasm_backend(services: BackendServices) -> ActivationBackend:
    """`kind: wasm` agents: an activation is an ACL request answered by the guest."""
    from axo_tui.core.runtime.wasm_backend import WasmBackend

    if services.messaging is None:
        raise BackendError("WASM agents need the runtime's message bus")
    return WasmBackend(services.messaging)


WASM = "wasm"
"""`kind: wasm`: a WebAssembly module under ABI v1 (docs/abi.md)."""

DEFAULT_BACKENDS: Mapping[str, BackendFactory] = {
    LLM: llm_backend,
    A2A: a2a_backend,
    WASM: wasm_backend,
}


def agent_kind(agent: AgentConfig) -> str:
    """Which backend runs `agent`: `wasm` for `kind: wasm`, `a2a` for `provider: a2a`, else
    `llm`."""
    if agent.kind is AgentKind.WASM:
        return WASM
    return A2A if agent.provider == A2A_PROVIDER else LLM


class BackendError(AxoError):
    """No backend is registered for an agent's kind."""
