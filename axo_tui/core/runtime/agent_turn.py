"""One activation of one agent: the turn loop.

Prompt assembly, a budget check before every provider call, streaming tokens as events,
tool rounds (bounded, allow-listed, with a repetition guard) and persistence of the session
transcript. Each caller has its own session (a chat session, or one per run and agent), so
no two callers ever share a transcript.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from axo_tui.core.base import localday
from axo_tui.core.config.schema import AgentConfig, ProviderConfig, ProviderKind
from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import (
    BudgetExceeded,
    LlmCallCompleted,
    RuntimeNotice,
    TokenStreamed,
    ToolCalled,
    ToolResult,
    UsageRecorded,
)
from axo_tui.core.memory.compaction import compact
from axo_tui.core.providers.base import (
    ChatRequest,
    Completion,
    Message,
    Provider,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)
from axo_tui.core.runtime.approvals import ApprovalGate, ApprovalScope
from axo_tui.core.runtime.budget import BudgetExceededError, ExecutionBudget
from axo_tui.core.store.journal import Journal
from axo_tui.core.tools import Tool, ToolContext, ToolError, ToolRegistry
from axo_tui.core.tools.catalogue import SEARCH_TOOL, USE_TOOL, Catalogue, offer
from axo_tui.core.tools.loop_guard import LoopGuard, ToolLoopError
from axo_tui.core.tools.registry import permits

if TYPE_CHECKING:
    from axo_tui.core.memory.service import AgentMemory
    from axo_tui.core.runtime.runs import ActivationResult

WINDOW_CHECK_FLOOR = 1024
"""Prompts shorter than this (tokens) never trigger a context-window lookup."""
REPLY_RESERVE = 512
"""Tokens kept free for the reply when compacting, unless sampling.max_tokens says less."""
MIN_REPLY_TOKENS = 16


@dataclass(frozen=True)
class ResolvedProvider:
    provider: Provider
    config: ProviderConfig
    model: str


@dataclass(frozen=True)
class TurnRequest:
    agent: AgentConfig
    input: str
    activation_id: str
    session_id: str
    run_id: str | None = None
    upstream: tuple[tuple[str, str], ...] = ()
    """(agent id, output) of the upstream agents, given as context."""
    task: str = ""
    """A skill's prompt or a proactive trigger's instructions."""
    notes: tuple[str, ...] = ()
    """Extra lines for the model (an upstream failure under `on_upstream_failure: run`)."""
    new_session: bool = False
    """The session was named for this turn (a fresh run's): it is empty, so it is not read
    back. Resumed runs and chats leave this False."""
    settle: Callable[[ActivationResult], Awaitable[str | None]] | None = None
    """Asked once the turn is over, before its end is journaled (a cluster step claims its
    record here): None lets the end stand; a reason ends it `cancelled`, superseded."""


@dataclass
class TurnOutcome:
    text: str
    usage: Usage = field(default_factory=Usage)
    calls: int = 0
    tool_calls: int = 0
    session_length: int | None = None
    """Messages in the session after the turn (as the journal counted them on appending)."""


CostEstimator = Callable[[ProviderConfig, str, Usage], float | None]


class AgentRunner:
    def __init__(
        self,
        *,
        bus: EventBus,
        journal: Journal,
        tools: ToolRegistry,
        project_dir: Path,
        data_dir: Path | None = None,
        resolve_provider: Callable[[AgentConfig], ResolvedProvider],
        estimate_cost: CostEstimator,
        emit_signal: Callable[[str, str, str | None], Awaitable[None]] | None = None,
        memory: AgentMemory | None = None,
        approvals: ApprovalGate | None = None,
    ) -> None:
        self._bus = bus
        self._approvals = approvals
        self._memory = memory
        self._windows: dict[tuple[str, str, int | None], int | None] = {}
        self._lean_notice: str | None = None
        self._systems: dict[str, tuple[AgentConfig, dt.date, tuple[str, ...], str]] = {}
        """Per agent: the last system prompt and what it was built from."""
        self._offered: dict[str, tuple[AgentConfig, ProviderKind, dict[str, Tool]]] = {}
        """Per agent: the memory tools it was last offered, and for which config and kind."""
        self._last_count: (
            tuple[tuple[Message, ...], tuple[ToolSpec, ...], ResolvedProvider, int] | None
        ) = None
        self._journal = journal
        self._tools = tools
        self._project_dir = project_dir
        self._private_dirs = (data_dir if data_dir is not None else project_dir / ".axo",)
        self._resolve_provider = resolve_provider
        self._estimate_cost = estimate_cost
        self._emit_signal = emit_signal

    async def run(self, request: TurnRequest) -> TurnOutcome:
        agent = request.agent
        resolved = self._resolve_provider(agent)
        if request.new_session:
            history: list[Message] = []
            self._journal.start_session(request.session_id)
        else:
            history = self._journal.load_session(request.session_id)
        user = Message("user", compose_user_message(request))
        # The user's message is saved before the call so a crash mid-turn never loses it.
        self._journal.append_session(request.session_id, agent.id, [user])
        self._log(request, "user", content=user.content)
        memory = self._memory
        recall = ""
        # Memory tools come with every agent (as in Axocoatl), outside its `tools:` list.
        memory_tools = self._memory_tools(agent, resolved)
        plain = plain_layout(resolved)
        kept = False
        if memory is not None:
            kept = self._capture(request, memory, memory_tools)
            recall = await memory.recall_section(
                agent, request.input, request.session_id, plain=plain
            )
            if recall:  # tier 2 records what the agent was reminded of, as it happens
                self._log(request, "passive_recall", query=request.input[:200], content=recall)
        messages: list[Message] = [
            Message("system", self._system(agent, recall, memory_tools, plain)),
            *history,
            user,
        ]
        new_messages: list[Message] = []
        budget = ExecutionBudget(agent.id, agent.token_budget)
        await self._tools.ready(agent.tools)  # MCP servers still starting
        tools, catalogue = await self._offer(resolved, self._tools.allowed(agent.tools))
        tool_specs = tuple(tool.spec for tool in (*tools, *memory_tools.values()))
        if catalogue is not None:
            tool_specs += catalogue.specs
        outcome = TurnOutcome("")
        guard = LoopGuard(agent.id)
        context: ToolContext | None = None  # made at the first tool call: most turns make none
        scope = ApprovalScope(agent, request.run_id, request.activation_id)
        try:
            for round_index in range(agent.max_tool_rounds + 1):
                if round_index and memory is not None:
                    # A core memory edit in the last round shows in the next one.
                    messages[0] = Message(
                        "system", self._system(agent, recall, memory_tools, plain)
                    )
                sent_messages, sent_specs, window = await self._fit_request(
                    request, resolved, budget, messages, tool_specs, memory_tools, outcome
                )
                completion = await self._call(
                    request, resolved, budget, sent_messages, sent_specs, outcome, window
                )
                assistant = Message("assistant", completion.text, completion.tool_calls)
                messages.append(assistant)
                new_messages.append(assistant)
                self._log(
                    request,
                    "assistant",
                    content=completion.text,
                    tool_calls=[call.name for call in completion.tool_calls],
                )
                if not completion.tool_calls:
                    outcome.text = completion.text
                    # Kept: in core memory already. Nothing recalls it: not stored at all.
                    if memory is not None and not kept and memory.recalls(agent, memory_tools):
                        memory.remember_exchange(
                            agent,
                            user=request.input,
                            reply=completion.text,
                            session_id=request.session_id,
                            run_id=request.run_id,
                        )
                    return outcome
                if round_index == agent.max_tool_rounds:
                    raise ToolLoopError(
                        f"agent '{agent.id}' still wanted tools after {agent.max_tool_rounds} "
                        "rounds (max_tool_rounds); stopping the turn"
                    )
                if context is None:
                    context = ToolContext(
                        agent_id=agent.id,
                        run_id=request.run_id,
                        project_dir=self._project_dir,
                        private_dirs=self._private_dirs,
                        emit_signal=self._signal_emitter(agent.id, request.run_id),
                        extras={"agent": agent, "session_id": request.session_id},
                    )
                guard.check_reply(completion.tool_calls)
                for call in completion.tool_calls:
                    guard.check_call(call)
                    self._log(request, "tool_call", tool=call.name, arguments=call.arguments)
                    result = await self._run_tool(
                        request, call, context, memory_tools, scope, catalogue
                    )
                    outcome.tool_calls += 1
                    tool_message = Message("tool", result, (), call.id, call.name)
                    messages.append(tool_message)
                    new_messages.append(tool_message)
            raise AssertionError("unreachable: the loop returns or raises")
        except Exception as exc:
            self._log(request, "error", content=str(exc), error=type(exc).__name__)
            raise
        finally:
            outcome.session_length = self._journal.append_session(
                request.session_id, agent.id, new_messages
            )

    # ----------------------------------------------------------------- memory
    def _capture(
        self, request: TurnRequest, memory: AgentMemory, memory_tools: dict[str, Tool]
    ) -> bool:
        """An agent with no tool to edit its core memory (the embedded model's, by default)
        still keeps what the user plainly asks it to remember: the runtime saves it before
        the call, so this very turn's prompt shows it. Not for skills and triggers: their
        input is not someone talking to the agent. True when something was kept."""
        if request.task or any(name.startswith("core_memory_") for name in memory_tools):
            return False
        saved = memory.capture_statement(request.agent, request.input)
        if saved is None:
            return False
        block, fact = saved
        self._log(request, "core_memory_capture", block=block, text=fact)
        self._bus.emit(
            RuntimeNotice,
            run_id=request.run_id,
            agent_id=request.agent.id,
            message=f"kept in core memory block '{block}': {fact}",
        )
        # Not stored for recall as well: recalled next to the block, the same fact twice
        # made the small model answer worse ("I'm sorry for your loss" instead of the name).
        return True

    def _system(
        self, agent: AgentConfig, recall: str, memory_tools: dict[str, Tool], plain: bool
    ) -> str:
        memory = self._memory
        if memory is None:
            return system_prompt(agent, plain=plain)
        editable = any(name.startswith("core_memory_") for name in memory_tools)
        sections = (
            memory.core_section(agent, editable=editable, plain=plain),
            memory.memory_note(memory_tools),
            recall,
        )
        # Remembered per agent: most turns build the same prompt as the last one.
        today = localday.today()
        memo = self._systems.get(agent.id)
        if memo is not None and memo[0] is agent and memo[1] == today and memo[2] == sections:
            return memo[3]
        text = system_prompt(agent, sections, today=today, plain=plain)
        self._systems[agent.id] = (agent, today, sections, text)
        return text

    def _memory_tools(self, agent: AgentConfig, resolved: ResolvedProvider) -> dict[str, Tool]:
        if self._memory is None:
            return {}
        kind = resolved.config.kind
        memo = self._offered.get(agent.id)
        if memo is not None and memo[0] is agent and memo[1] is kind:
            return memo[2]  # the same agent config and provider kind: the same tools
        offered = {tool.name: tool for tool in self._memory.tools_for(agent)}
        if kind is ProviderKind.LOCAL and agent.memory.tools is None:
            # The embedded 135M model cannot drive tools it was not asked to use: offering
            # every agent the memory tools makes it answer worse (it talks about the tools).
            # On `local`, an agent gets the memory tools it lists in `tools:`, and no others.
            listed = set(agent.tools or ())
            offered = {name: tool for name, tool in offered.items() if name in listed}
        self._offered[agent.id] = (agent, kind, offered)
        return offered

    def _log(self, request: TurnRequest, kind: str, **fields: Any) -> None:
        """Tier 2: everything a turn does goes to the agent's daily log as it happens."""
        if self._memory is not None:
            entry = {
                "run_id": request.run_id,
                "session_id": request.session_id,
                "activation_id": request.activation_id,
                **fields,
            }
            self._memory.record(request.agent.id, kind, entry)

    async def _fit_request(
        self,
        request: TurnRequest,
        resolved: ResolvedProvider,
        budget: ExecutionBudget,
        messages: list[Message],
        tool_specs: tuple[ToolSpec, ...],
        memory_tools: dict[str, Tool],
        outcome: TurnOutcome,
    ) -> tuple[tuple[Message, ...], tuple[ToolSpec, ...], int | None]:
        """The request to send, and the model's context window when it matters.

        Compacted to the window when the conversation outgrew it (see
        `memory.compaction`), and with memory unless only leaving memory out lets it fit a
        tight token budget: memory is help, not the task, so a call that cannot carry it
        still goes out without it (with a notice) rather than failing the turn."""
        agent = request.agent

        def count(candidate: tuple[Message, ...], specs: tuple[ToolSpec, ...]) -> int:
            return self._count(resolved, candidate, specs)

        as_sent = tuple(messages)
        window = await self._window(resolved, count(as_sent, tool_specs))

        async def ask(prompt: tuple[Message, ...], reply_tokens: int, keep: int) -> str:
            # A compaction summary: budget-checked and ledgered like any call of the turn,
            # and only while `keep` tokens stay for the turn's own call (housekeeping must
            # never be what makes a turn run out of budget).
            after = ExecutionBudget(agent.id, agent.token_budget, spent=budget.spent + keep)
            after.check(count(prompt, ()), reply_tokens)
            completion = await self._call(
                request,
                resolved,
                budget,
                prompt,
                (),
                outcome,
                window,
                purpose="compaction",
                reply_tokens=reply_tokens,
            )
            return completion.text

        async def fit(
            candidate: tuple[Message, ...], specs: tuple[ToolSpec, ...]
        ) -> tuple[Message, ...]:
            if window is None:
                return candidate
            reserve = min(agent.sampling.max_tokens or REPLY_RESERVE, window // 4)
            if self._memory is None:
                return compact(
                    candidate, specs, window=window, reserve=reserve, count=count
                ).messages
            return await self._memory.compact(
                agent,
                request.session_id,
                candidate,
                specs,
                window=window,
                reserve=reserve,
                count=count,
                offered=memory_tools,
                ask=ask,
            )

        full = (await fit(as_sent, tool_specs), tool_specs)
        if self._memory is None:
            return (*full, window)
        wanted = agent.sampling.max_tokens
        try:
            budget.check(count(*full), wanted)
            return (*full, window)
        except BudgetExceededError:
            pass
        lean_specs = tuple(spec for spec in tool_specs if spec.name not in memory_tools)
        lean_system = Message("system", system_prompt(agent, plain=plain_layout(resolved)))
        lean = (await fit((lean_system, *messages[1:]), lean_specs), lean_specs)
        try:
            budget.check(count(*lean), wanted)
        except BudgetExceededError:
            return (*full, window)  # it does not fit either way: the budget error names it
        if self._lean_notice != request.activation_id:  # once per activation, not per round
            self._lean_notice = request.activation_id
            self._bus.emit(
                RuntimeNotice,
                run_id=request.run_id,
                agent_id=agent.id,
                message="memory left out of this call: the token budget cannot hold it "
                "(raise token_budget to give the agent its memory)",
            )
        return (*lean, window)

    def _count(
        self,
        resolved: ResolvedProvider,
        messages: tuple[Message, ...],
        specs: tuple[ToolSpec, ...],
    ) -> int:
        """The provider's token count, remembered for the request last counted: fitting a
        request to the window and the budget, then sending it, counted it three times."""
        last = self._last_count
        if last is not None and last[0] is messages and last[1] is specs and last[2] is resolved:
            return last[3]
        tokens = resolved.provider.count_tokens(messages, specs)
        self._last_count = (messages, specs, resolved, tokens)
        return tokens

    async def _offer(
        self, resolved: ResolvedProvider, tools: list[Tool]
    ) -> tuple[list[Tool], Catalogue | None]:
        """The tools defined in the prompt; many MCP tools go behind a catalogue."""
        if not any(tool.deferrable for tool in tools):
            return tools, None
        window = resolved.config.context_window or await self._window(resolved, 1 << 30)
        return offer(tools, window)

    async def _window(self, resolved: ResolvedProvider, prompt_tokens: int) -> int | None:
        """The model's context window, asked once per provider and model, and only once a
        prompt is long enough to risk it: asking can cost a round trip (Ollama's
        /api/show), and no chat model has a window below WINDOW_CHECK_FLOOR."""
        key = (resolved.config.name, resolved.model, resolved.config.context_window)
        if key in self._windows:
            return self._windows[key]
        if prompt_tokens < WINDOW_CHECK_FLOOR:
            return None
        try:
            window = await resolved.provider.context_window(resolved.model)
        except ProviderError:
            window = None  # unknown: send as is and let the provider say if it is too long
        self._windows[key] = window
        return window

    async def _call(
        self,
        request: TurnRequest,
        resolved: ResolvedProvider,
        budget: ExecutionBudget,
        messages: tuple[Message, ...],
        tool_specs: tuple,  # type: ignore[type-arg]
        outcome: TurnOutcome,
        window: int | None = None,
        *,
        purpose: str = "",
        reply_tokens: int | None = None,
    ) -> Completion:
        """One provider call. A `purpose` (housekeeping such as "compaction") is not
        streamed as the agent's words and is sent as `<agent>#<purpose>`."""
        agent = request.agent
        prompt_tokens = self._count(resolved, messages, tool_specs)
        decision = budget.check(prompt_tokens, reply_tokens or agent.sampling.max_tokens)
        max_tokens = decision.max_tokens
        if window is not None:
            # Prompt and reply share the window: cap the reply when little room is left.
            room = max(MIN_REPLY_TOKENS, window - prompt_tokens)
            if room < (max_tokens or REPLY_RESERVE):
                max_tokens = room
        for limit, allowed, requested in decision.warnings:
            self._bus.emit(
                BudgetExceeded,
                run_id=request.run_id,
                agent_id=agent.id,
                limit=limit,
                allowed=allowed,
                requested=requested,
                policy="warn",
            )
        chat = ChatRequest(
            model=resolved.model,
            messages=messages,
            tools=tool_specs,
            max_tokens=max_tokens,
            temperature=agent.sampling.temperature,
            top_p=agent.sampling.top_p,
            agent_id=f"{agent.id}#{purpose}" if purpose else agent.id,
        )
        completion: Completion | None = None
        started, clock = time.time(), time.perf_counter()
        try:
            async for chunk in resolved.provider.stream(chat):
                if isinstance(chunk, TextDelta):
                    if chunk.text and not purpose and self._bus.wanted(TokenStreamed):
                        self._bus.emit(
                            TokenStreamed,
                            run_id=request.run_id,
                            agent_id=agent.id,
                            activation_id=request.activation_id,
                            text=chunk.text,
                        )
                else:
                    completion = chunk
            if completion is None:
                raise ProviderError(
                    f"{resolved.config.name}: the reply ended without a final message",
                    provider=resolved.config.name,
                )
        except Exception as exc:
            self._call_ended(request, resolved, started, clock, purpose, error=str(exc))
            raise
        cost = self._record_usage(request, resolved, completion)
        self._call_ended(request, resolved, started, clock, purpose, completion, cost)
        budget.record(completion.usage.total)
        outcome.calls += 1
        outcome.usage = Usage(
            outcome.usage.prompt_tokens + completion.usage.prompt_tokens,
            outcome.usage.completion_tokens + completion.usage.completion_tokens,
        )
        return completion

    def _record_usage(
        self, request: TurnRequest, resolved: ResolvedProvider, completion: Completion
    ) -> float | None:
        usage = completion.usage
        model = completion.model or resolved.model
        cost = self._estimate_cost(resolved.config, model, usage)
        with self._journal.batch():  # the ledger row and its event: one commit
            self._record_usage_rows(request, resolved, model, usage, cost)
        return cost

    def _call_ended(
        self,
        request: TurnRequest,
        resolved: ResolvedProvider,
        started: float,
        clock: float,
        purpose: str,
        completion: Completion | None = None,
        cost: float | None = None,
        *,
        error: str = "",
    ) -> None:
        """The `llm.call` event telemetry reads (durations, traces, `axo trace`)."""
        usage = completion.usage if completion is not None else Usage()
        self._bus.emit(
            LlmCallCompleted,
            run_id=request.run_id,
            agent_id=request.agent.id,
            activation_id=request.activation_id,
            provider=resolved.config.name,
            provider_kind=str(resolved.config.kind),
            model=(completion.model if completion is not None else "") or resolved.model,
            started=started,
            duration_s=time.perf_counter() - clock,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=cost,
            ok=completion is not None,
            error=error[:500],
            purpose=purpose,
        )

    def _record_usage_rows(
        self,
        request: TurnRequest,
        resolved: ResolvedProvider,
        model: str,
        usage: Usage,
        cost: float | None,
    ) -> None:
        row: dict[str, Any] = {
            "run_id": request.run_id,
            "agent_id": request.agent.id,
            "provider": resolved.config.name,
            "model": model,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cost_usd": cost,
        }
        self._journal.record_usage(activation_id=request.activation_id, **row)
        if self._bus.wanted(UsageRecorded):  # (not journaled: the ledger row is the record)
            self._bus.emit(UsageRecorded, **row)
        per_call = request.agent.token_budget.per_call
        if per_call is not None and usage.total > per_call:
            # Only reachable under `warn` (abort caps max_tokens) or when a provider
            # ignores max_tokens: say so rather than hide it.
            self._bus.emit(
                RuntimeNotice,
                run_id=request.run_id,
                agent_id=request.agent.id,
                message=f"call used {usage.total} tokens, over per_call={per_call}",
            )

    async def _run_tool(
        self,
        request: TurnRequest,
        call: ToolCall,
        context: ToolContext,
        memory_tools: dict[str, Tool],
        scope: ApprovalScope,
        catalogue: Catalogue | None = None,
    ) -> str:
        agent = request.agent
        if catalogue is not None and call.name in (SEARCH_TOOL, USE_TOOL):
            try:
                if call.name == SEARCH_TOOL:
                    return catalogue.search(call.arguments)
                call = catalogue.unwrap(call)  # the real call: approvals and logs see it
            except ToolError as exc:
                return f"error: {exc}"
        self._bus.emit(
            ToolCalled,
            run_id=request.run_id,
            agent_id=agent.id,
            activation_id=request.activation_id,
            call_id=call.id,
            tool=call.name,
            arguments=call.arguments,
        )
        # The call is on record before it acts: a resume after a crash mid-tool reads it to
        # refuse replaying a tool that is not idempotent.
        await self._journal.durable()
        memory = self._memory if call.name in memory_tools else None

        async def run() -> tuple[str, bool]:
            try:
                if memory is not None:
                    return (
                        await memory.tools.call(
                            call.name, call.arguments, context, allow_list=memory_tools
                        ),
                        True,
                    )
                return (
                    await self._tools.call(
                        call.name, call.arguments, context, allow_list=agent.tools
                    ),
                    True,
                )
            except ToolError as exc:
                return f"error: {exc}", False

        # Every kind of tool (built-in, memory, MCP, WASM) passes here, so here it asks.
        gate = self._approvals
        allowed = call.name in memory_tools or permits(agent.tools, call.name)
        tool = memory_tools.get(call.name) or self._tools.get(call.name)
        if gate is not None and allowed and gate.required(agent, call.name, tool):
            result, ok = await gate.guard(scope, call, run)
        else:
            result, ok = await run()
        self._log(request, "tool_result", tool=call.name, ok=ok, content=result[:4000])
        self._bus.emit(
            ToolResult,
            run_id=request.run_id,
            agent_id=agent.id,
            activation_id=request.activation_id,
            call_id=call.id,
            tool=call.name,
            ok=ok,
            result=result[:4000],
        )
        return result

    def _signal_emitter(
        self, agent_id: str, run_id: str | None
    ) -> Callable[[str, str], Awaitable[None]] | None:
        emit = self._emit_signal
        if emit is None:
            return None

        async def emit_from_agent(name: str, payload: str) -> None:
            await emit(name, payload, run_id)

        return emit_from_agent


def plain_layout(resolved: ResolvedProvider) -> bool:
    """Whether the prompt is laid out for a small model (see `memory.plain_prompt`): the
    embedded `local` model echoed the tags and the "You are the agent" line back."""
    return resolved.config.kind is ProviderKind.LOCAL


def system_prompt(
    agent: AgentConfig,
    sections: Iterable[str] = (),
    *,
    today: dt.date | None = None,
    plain: bool = False,
) -> str:
    """The agent's own prompt, who it is and today's date, then `sections` (its memory);
    `plain` leaves out the agent's id, which a small model took for its answer."""
    parts = [agent.system_prompt.strip()] if agent.system_prompt.strip() else []
    date = (today or dt.date.today()).isoformat()
    if plain:
        parts.append(f"Today is {date}.")
    else:
        parts.append(f'You are the agent "{agent.display_name}" (id: {agent.id}). Today is {date}.')
    parts.extend(section for section in sections if section)
    return "\n\n".join(parts)


def compose_user_message(request: TurnRequest) -> str:
    parts = []
    if request.task:
        parts.append(request.task.strip())
    parts.append(request.input)
    if request.upstream:
        context = "\n\n".join(f"[{agent}]\n{output}" for agent, output in request.upstream)
        parts.append("Context from upstream agents:\n" + context)
    parts.extend(request.notes)
    return "\n\n".join(part for part in parts if part)
