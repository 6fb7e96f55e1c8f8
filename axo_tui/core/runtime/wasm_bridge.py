"""The `llm` and `tool` imports of WASM agents, answered by the runtime (docs/abi.md).

A guest runs on a host worker thread; its `llm` or `tool` call is handed to the event loop
(`run_coroutine_threadsafe`) and the worker waits for the answer. There the call goes the
way an LLM agent's does: the agent's provider with its token budget checked before the
call and the usage in the ledger; a tool from the one registry, allowed by the agent's
`tools:` and asking for approval where the rules say so. While the worker waits, the
guest's deadline is suspended (`host_funcs._outside` restarts it on return) and no fuel is
spent. Every refusal becomes an ABI code and a reason the guest reads with `last_error`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axo_tui.core.base.ids import new_id
from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import (
    BudgetExceeded,
    LlmCallCompleted,
    ToolCalled,
    ToolResult,
    UsageRecorded,
)
from axo_tui.core.providers.base import ChatRequest, Message, ProviderError, ToolCall, Usage
from axo_tui.core.providers.base import complete as complete_chat
from axo_tui.core.providers.pricing import estimate_cost
from axo_tui.core.runtime.agent_turn import ResolvedProvider
from axo_tui.core.runtime.approvals import ApprovalGate, ApprovalScope
from axo_tui.core.runtime.budget import BudgetExceededError, ExecutionBudget
from axo_tui.core.store.journal import Journal
from axo_tui.core.tools import ToolContext, ToolError, ToolRegistry
from axo_tui.core.tools.registry import permits
from axo_tui.core.wasm.host_calls import Execution


class _Refused(Exception):
    """A call answered with an ABI code (by name: DENIED, FAILED, ...) and a reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class BridgeServices:
    """What the bridge uses of a started runtime."""

    agent_config: Callable[[str], AgentConfig | None]
    """The `kind: wasm` agent of the current config with this name (None: only deployed)."""
    resolve_provider: Callable[[AgentConfig], ResolvedProvider]
    tools: ToolRegistry
    journal: Journal
    bus: EventBus
    project_dir: Path
    data_dir: Path
    approvals: ApprovalGate | None = None
    run_of: Callable[[str], str | None] = lambda _conversation: None
    """The run a conversation belongs to (a coordinator's auctions), for the ledger."""
    emit_signal: Callable[[str, str, str | None], Awaitable[None]] | None = None


class WasmBridge:
    """`HostCalls` for the WASM host (see the module docstring)."""

    def __init__(self, services: BridgeServices, loop: asyncio.AbstractEventLoop | None) -> None:
        self._services = services
        self._loop = loop
        self._lock = threading.Lock()
        self._waiting: set[concurrent.futures.Future[str]] = set()
        self._closed = False

    def close(self) -> None:
        """Answer every waiting call with ERR_FAILED: the host can then join its workers."""
        with self._lock:
            self._closed = True
            waiting = list(self._waiting)
        for future in waiting:
            future.cancel()

    # ------------------------------------------------ HostCalls (worker threads)
    def llm(self, execution: Execution, prompt: str) -> str:
        agent = self._agent(execution, "llm")
        return self._wait(lambda: self._ask(agent, execution, prompt))

    def tool(self, execution: Execution, name: str, arguments: dict[str, Any]) -> str:
        agent = self._agent(execution, f"tool '{name}'")
        return self._wait(lambda: self._use(agent, execution, name, arguments))

    def _agent(self, execution: Execution, what: str) -> AgentConfig:
        agent = self._services.agent_config(execution.agent)
        if agent is None:
            raise _host_error(
                "DENIED",
                f"{what}: agent '{execution.agent}' is not in axo.yaml, so it has no provider "
                "and no tools; declare it there with `kind: wasm` to grant them",
            )
        return agent

    def _wait(self, make: Callable[[], Coroutine[Any, Any, str]]) -> str:
        loop = self._loop
        if loop is None or loop.is_closed() or self._closed:
            raise _host_error("FAILED", "the runtime is not running (or stopping)")
        with contextlib.suppress(RuntimeError):
            if asyncio.get_running_loop() is loop:  # waiting here would wait forever
                raise _host_error(
                    "DENIED",
                    "llm and tool are not available in `init` (it runs while the agent is "
                    "deployed); call them from handle_message or handle_timer",
                )
        future = asyncio.run_coroutine_threadsafe(make(), loop)
        with self._lock:
            if self._closed:
                future.cancel()
            self._waiting.add(future)
        try:
            return future.result()
        except _Refused as exc:
            raise _host_error(exc.code, str(exc)) from None
        except concurrent.futures.CancelledError:
            raise _host_error("FAILED", "the runtime stopped during the call") from None
        except Exception as exc:  # a bug on our side: the guest gets an error, not a trap
            raise _host_error("FAILED", f"{type(exc).__name__}: {exc}") from None
        finally:
            with self._lock:
                self._waiting.discard(future)

    # -------------------------------------------------------- llm (event loop)
    async def _ask(self, agent: AgentConfig, execution: Execution, prompt: str) -> str:
        services = self._services
        run_id = self._run_id(execution)
        try:
            resolved = services.resolve_provider(agent)
        except ProviderError as exc:
            raise _Refused("DENIED", f"llm: {exc}") from None
        messages: tuple[Message, ...] = (Message("user", prompt),)
        if agent.system_prompt.strip():
            messages = (Message("system", agent.system_prompt.strip()), *messages)
        budget = ExecutionBudget(agent.id, agent.token_budget, spent=execution.tokens)
        try:
            decision = budget.check(
                resolved.provider.count_tokens(messages, ()), agent.sampling.max_tokens
            )
        except BudgetExceededError as exc:
            self._budget_event(agent, run_id, exc.limit, exc.allowed, exc.requested, "abort")
            raise _Refused("BUDGET", str(exc)) from None
        for limit, allowed, requested in decision.warnings:
            self._budget_event(agent, run_id, limit, allowed, requested, "warn")
        chat = ChatRequest(
            model=resolved.model,
            messages=messages,
            max_tokens=decision.max_tokens,
            temperature=agent.sampling.temperature,
            top_p=agent.sampling.top_p,
            agent_id=agent.id,
        )
        started, clock = time.time(), time.perf_counter()
        try:
            completion = await complete_chat(resolved.provider, chat)
        except ProviderError as exc:
            self._call_event(agent, execution, run_id, resolved, started, clock, error=str(exc))
            raise _Refused("FAILED", f"llm: {exc}") from None
        usage, model = completion.usage, completion.model or resolved.model
        cost = estimate_cost(resolved.config, model, usage)
        row: dict[str, Any] = {
            "run_id": run_id,
            "agent_id": agent.id,
            "provider": resolved.config.name,
            "model": model,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cost_usd": cost,
        }
        services.journal.record_usage(activation_id=execution.id, **row)
        if services.bus.wanted(UsageRecorded):
            services.bus.emit(UsageRecorded, **row)
        self._call_event(agent, execution, run_id, resolved, started, clock, usage, model, cost)
        execution.tokens += usage.total
        return completion.text

    def _budget_event(
        self,
        agent: AgentConfig,
        run_id: str | None,
        limit: str,
        allowed: int,
        requested: int,
        policy: str,
    ) -> None:
        self._services.bus.emit(
            BudgetExceeded,
            run_id=run_id,
            agent_id=agent.id,
            limit=limit,
            allowed=allowed,
            requested=requested,
            policy=policy,
        )

    def _call_event(
        self,
        agent: AgentConfig,
        execution: Execution,
        run_id: str | None,
        resolved: ResolvedProvider,
        started: float,
        clock: float,
        usage: Usage | None = None,
        model: str = "",
        cost: float | None = None,
        *,
        error: str = "",
    ) -> None:
        usage = usage or Usage()
        self._services.bus.emit(
            LlmCallCompleted,
            run_id=run_id,
            agent_id=agent.id,
            activation_id=execution.id,
            provider=resolved.config.name,
            provider_kind=str(resolved.config.kind),
            model=model or resolved.model,
            started=started,
            duration_s=time.perf_counter() - clock,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=cost,
            ok=not error,
            error=error[:500],
            purpose="",
        )

    # ------------------------------------------------------- tool (event loop)
    async def _use(
        self, agent: AgentConfig, execution: Execution, name: str, arguments: dict[str, Any]
    ) -> str:
        services = self._services
        if not permits(agent.tools, name):
            listed = ", ".join(agent.tools or ()) or "none"
            raise _Refused(
                "DENIED", f"tool '{name}' is not granted to agent '{agent.id}' (tools: {listed})"
            )
        await services.tools.ready(agent.tools)  # MCP servers still starting
        tool = services.tools.get(name)
        if tool is None:
            raise _Refused("NOT_FOUND", f"tool '{name}' does not exist")
        run_id = self._run_id(execution)
        emit = services.emit_signal
        context = ToolContext(
            agent_id=agent.id,
            run_id=run_id,
            project_dir=services.project_dir,
            private_dirs=(services.data_dir,),
            emit_signal=None if emit is None else lambda n, p: emit(n, p, run_id),
            extras={"agent": agent},
        )
        call = ToolCall(new_id(), name, arguments)
        services.bus.emit(
            ToolCalled,
            run_id=run_id,
            agent_id=agent.id,
            activation_id=execution.id,
            call_id=call.id,
            tool=name,
            arguments=arguments,
        )
        ran = False

        async def run() -> tuple[str, bool]:
            nonlocal ran
            ran = True
            try:
                text = await services.tools.call(name, arguments, context, allow_list=agent.tools)
                return text, True
            except ToolError as exc:
                return f"error: {exc}", False

        gate = services.approvals
        if gate is not None and gate.required(agent, name, tool):
            result, ok = await gate.guard(ApprovalScope(agent, run_id, execution.id), call, run)
        else:
            result, ok = await run()
        services.bus.emit(
            ToolResult,
            run_id=run_id,
            agent_id=agent.id,
            activation_id=execution.id,
            call_id=call.id,
            tool=name,
            ok=ok,
            result=result[:4000],
        )
        if not ok:  # never run: the approval was denied (or timed out: fails closed)
            raise _Refused("FAILED" if ran else "DENIED", result)
        return result

    def _run_id(self, execution: Execution) -> str | None:
        message = execution.message
        return None if message is None else self._services.run_of(message.conversation_id)


def _host_error(code: str, reason: str) -> Exception:
    # Loaded with the WASM host already: this module never loads wasmtime on its own.
    from axo_tui.core.wasm.abi import Err
    from axo_tui.core.wasm.guest_context import HostCallError

    return HostCallError(Err[code], reason)
