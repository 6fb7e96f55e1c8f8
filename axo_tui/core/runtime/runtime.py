"""The one engine: workflow runs, single-agent turns, skills, signals, schedules, proactive.

Everything that makes an agent act goes through `Runtime.activate`, so every activation has
a run id, is journaled, streams through the bus and is held to the same budgets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from axo_tui.core.acl.router import AclRouter
from axo_tui.core.base.enums import ActivationStatus, AgentState, ErrorKind, RunStatus
from axo_tui.core.base.ids import new_id
from axo_tui.core.config.schema import (
    AgentConfig,
    AgentKind,
    Config,
    McpServerConfig,
    ProviderConfig,
    WorkflowConfig,
)
from axo_tui.core.events.bus import EventBus, Subscription
from axo_tui.core.events.catalog import (
    AgentActivated,
    AgentCompleted,
    AgentFailed,
    AgentSkipped,
    BudgetExceeded,
    ConfigReloaded,
    Event,
    RemoteCallCompleted,
    RunCompleted,
    RunStarted,
    RuntimeNotice,
)
from axo_tui.core.memory.service import AgentMemory
from axo_tui.core.providers.base import Provider, ProviderError, Usage
from axo_tui.core.runtime import telemetry_events
from axo_tui.core.runtime.agent_turn import ResolvedProvider, TurnRequest
from axo_tui.core.runtime.ambient import AmbientRouter
from axo_tui.core.runtime.approvals import ApprovalGate, record_decision, revoke_rule
from axo_tui.core.runtime.backend import (
    DEFAULT_BACKENDS,
    ActivationBackend,
    BackendError,
    BackendFactory,
    BackendServices,
    agent_kind,
)
from axo_tui.core.runtime.budget import BudgetExceededError
from axo_tui.core.runtime.consolidation import Consolidator
from axo_tui.core.runtime.coordinator import Coordinators, leader_of
from axo_tui.core.runtime.lattice import NodeState, WorkflowRunState
from axo_tui.core.runtime.messaging import Messaging
from axo_tui.core.runtime.peer_checks import check_remote_agents
from axo_tui.core.runtime.resume import (
    RESUME_AT_ONCE,
    InterruptedTurn,
    StoppedRuns,
    cancel_stopped_run,
    interrupt_runs,
    interrupted_turn,
    resume_run,
    resume_unfinished,
    stopped_runs,
)
from axo_tui.core.runtime.runs import ActivationResult, RunResult, unknown_name
from axo_tui.core.runtime.runs import RunError as RunError  # re-exported: callers catch it here
from axo_tui.core.runtime.session_turns import SessionTurns
from axo_tui.core.runtime.state import ProjectState
from axo_tui.core.runtime.supervisor import CircuitOpenError, SupervisionPolicy, Supervisor
from axo_tui.core.runtime.workflow_driver import WorkflowDriver
from axo_tui.core.store.approvals import ApprovalRecord, ApprovalRule
from axo_tui.core.store.checkpoints import CheckpointStore
from axo_tui.core.store.journal import Journal, JournalError, RunRecord
from axo_tui.core.store.owner_lease import OwnerLease
from axo_tui.core.tools import ToolError, ToolRegistry
from axo_tui.core.tools.builtins import BUILTIN_TOOLS
from axo_tui.core.tools.loop_guard import ToolLoopError
from axo_tui.core.tools.mcp import McpClients, McpServerStatus, McpToolInfo, ServerState
from axo_tui.core.tools.mcp.changes import plan_changes
from axo_tui.core.tools.mcp.clients import McpCallDone
from axo_tui.core.wasm.limits import RestartPolicy

if TYPE_CHECKING:
    from axo_tui.core.runtime.cluster_lattice import ClusterLattice
    from axo_tui.core.runtime.wasm_bridge import WasmBridge
    from axo_tui.core.wasm.tool import WasmToolRunner

log = logging.getLogger(__name__)

DEFAULT_MODELS = {
    "ollama": "llama3.2",
    "openai": "gpt-4o-mini",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-2.0-flash",
    "local": "smollm2-135m-instruct",
    "scripted": "scripted",
}


@dataclass
class AgentStatus:
    agent_id: str
    state: AgentState = AgentState.IDLE
    running: int = 0
    waiting: int = 0
    last_error: str | None = None
    tokens: int = 0


class Runtime:
    """A project's agents, live. Build one with `build.build_runtime(config)` and use it as
    `async with runtime:`. Its public surface (docs/api.md): the actions below, `state` for
    the queries, `subscribe`/`watch` for the events."""

    def __init__(
        self,
        config: Config,
        *,
        data_dir: Path | None = None,
        tools: ToolRegistry | None = None,
        transport: Any = None,
        background: bool = False,
        supervision: SupervisionPolicy | None = None,
        backends: Mapping[str, BackendFactory] | None = None,
        subscribers: Sequence[Callable[[Event], None]] = (),
        cluster: Callable[[Runtime], ClusterLattice] | None = None,
    ) -> None:
        self.config = config
        self._backend_factories = dict(DEFAULT_BACKENDS if backends is None else backends)
        self._backends: dict[str, ActivationBackend] = {}
        self._subscribers = tuple(subscribers)
        self._state: ProjectState | None = None
        self.state_dir = data_dir if data_dir is not None else config.state_dir
        self.tools = tools if tools is not None else ToolRegistry(BUILTIN_TOOLS)
        self.wasm_tools: WasmToolRunner | None = None
        """Runs the config's WASM tools (`tools:` with `wasm:`), registered with the others."""
        if config.tools:
            from axo_tui.core.wasm.tool import wasm_tools  # wasmtime loads only when used

            self.wasm_tools, wasm_registered = wasm_tools(
                config.tools, self.state_dir, config.project_dir
            )
            for tool in wasm_registered:
                self.tools.register(tool)
        self._transport = transport
        self._background = background
        self._providers: dict[str, Provider] = {}
        self._statuses: dict[str, AgentStatus] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.session_turns = SessionTurns()
        """Turns of one session run one after another (see `session_turns`)."""
        self._journal: Journal | None = None
        self.bus = EventBus()
        self.ambient = AmbientRouter(self)
        self.supervisor = Supervisor(
            CheckpointStore(self.state_dir / "checkpoints"),
            policy=supervision,
            notify=self._notify,
        )
        self._lease: OwnerLease | None = None
        self._approvals: ApprovalGate | None = None
        self.memory = AgentMemory(
            self.state_dir,
            notify=lambda agent_id, message: self.bus.emit(
                RuntimeNotice, agent_id=agent_id, message=message
            ),
        )
        self._started = False
        self.cluster = cluster(self) if cluster is not None else None
        """`lattice.backend: nats`: this runtime's node, which runs the workflows."""
        self._run_tasks: dict[str, asyncio.Task[Any]] = {}
        """Live run id -> the task driving it (see `cancel_run`)."""
        self._in_flight = 0
        """Activations running now: a commit no other one could share is made at once."""
        self._mcp: McpClients | None = None
        self.messaging: Messaging | None = None
        """The ACL bus and the WASM host while started (docs/api.md)."""
        self.coordinators = Coordinators(self)
        """Coordinator passes (`run_workflow` of a workflow a coordinator leads)."""

    # ------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> Runtime:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def start(self) -> None:
        if self._started:
            return
        self._journal = Journal(self.state_dir / "axo.db")
        with contextlib.suppress(RuntimeError):  # started outside a loop: write at once
            loop = asyncio.get_running_loop()
            self._journal.group_commits(loop)
            self.memory.defer_writes(loop)
        self._lease = OwnerLease.acquire(self.state_dir)
        self.bus = EventBus(start_seq=self._journal.max_seq() + 1)
        self.bus.add_sink(self._journal.record_event, journaled_only=True)
        self.bus.add_sink(self._track_run, journaled_only=True)
        telemetry_events.report_commits(self._journal, self.bus)
        for subscriber in self._subscribers:
            self.bus.add_sink(subscriber)
        self.supervisor.restore(agent.id for agent in self.config.agents)
        self._approvals = ApprovalGate(self._journal, self.bus, lambda: self.config.approvals)
        self.messaging = self._start_messaging()
        services = BackendServices(
            bus=self.bus,
            journal=self._journal,
            memory=self.memory,
            tools=self.tools,
            project_dir=self.config.project_dir,
            data_dir=self.state_dir,
            resolve_provider=self.resolve_provider,
            emit_signal=self.ambient.emit_from_tool,
            approvals=self._approvals,
            messaging=self.messaging,
        )
        self._backends = {kind: make(services) for kind, make in self._backend_factories.items()}
        self._state = ProjectState(self.state_dir, journal=self._journal, memory=self.memory)
        self._start_mcp()
        self.ambient.configure(self.config)
        self._started = True
        if self.cluster is not None:
            self.cluster.start()
        if self._background:
            self.ambient.start_timers()
            self.memory.start_consolidation(Consolidator(self).run_forever)  # idle agents tidy up

    def _start_messaging(self) -> Messaging:
        policy = self.supervisor.policy
        messaging = Messaging(
            bus=self.bus,
            data_dir=self.state_dir,
            run_turn=self._acl_turn,
            spawn=self.spawn,
            policy=RestartPolicy(
                policy.failure_threshold,
                policy.cooldown_secs,
                policy.backoff_base_secs,
                policy.backoff_cap_secs,
            ),
            bridge=self._wasm_bridge,
        )
        messaging.start(self.config.agents, self.config.project_dir)
        return messaging

    def _wasm_bridge(self) -> WasmBridge:
        """The answer to WASM agents' `llm` and `tool` (made with the WASM host)."""
        from axo_tui.core.runtime.wasm_bridge import BridgeServices, WasmBridge

        def wasm_agent(name: str) -> AgentConfig | None:
            agent = next((a for a in self.config.agents if a.id == name), None)
            return agent if agent is not None and agent.kind is AgentKind.WASM else None

        loop = None
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
        services = BridgeServices(
            agent_config=wasm_agent,
            resolve_provider=self.resolve_provider,
            tools=self.tools,
            journal=self.journal,
            bus=self.bus,
            project_dir=self.config.project_dir,
            data_dir=self.state_dir,
            approvals=self._approvals,
            run_of=lambda conversation: self.conversation_runs.get(conversation),
            emit_signal=self.ambient.emit_from_tool,
        )
        return WasmBridge(services, loop)

    async def _acl_turn(self, agent_id: str, text: str) -> tuple[bool, str]:
        """An LLM agent's turn on an ACL message (see `messaging`)."""
        result = await self.run_agent(agent_id, text, run_kind="message", trigger="message")
        if result.status is RunStatus.COMPLETED:
            return True, result.output
        return False, "; ".join(result.errors.values()) or str(result.status)

    async def close(self) -> None:
        """Stop everything this runtime started: its timers, tasks and threads end here."""
        if self.cluster is not None:  # first: its steps end and its outbox sends the rest
            await self.cluster.aclose()
        if self.messaging is not None:  # guests stop first: nothing new reaches the agents
            self.messaging.close()
            self.messaging = None
        await self.ambient.aclose()
        if self._mcp is not None:  # each server's owner task ends its own session
            await self._mcp.aclose()
            self._mcp = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self.tools.close()  # blocking tools still running (bounded) finish first
        await self.memory.aclose()  # exchanges still being embedded are stored first
        await self.supervisor.settled()  # checkpoints written behind the last turns
        self.supervisor.close()
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()
        for backend in self._backends.values():  # those holding connections (remote agents)
            closing = getattr(backend, "aclose", None)
            if closing is not None:
                await closing()
        self._state = None
        self._approvals = None
        self._backends = {}
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._lease is not None:
            self._lease.release()
            self._lease = None
        self._started = False

    @property
    def journal(self) -> Journal:
        if self._journal is None:
            raise RuntimeError("the runtime is not started")
        return self._journal

    @property
    def acl_router(self) -> AclRouter:
        """The ACL message bus (started with the runtime)."""
        if self.messaging is None:
            raise RunError("the runtime is not started: `async with runtime:` first")
        return self.messaging.router

    @property
    def conversation_runs(self) -> dict[str, str]:
        """ACL conversation id -> run id, for the journal (see `messaging`)."""
        if self.messaging is None:
            raise RunError("the runtime is not started: `async with runtime:` first")
        return self.messaging.conversation_runs

    @property
    def state(self) -> ProjectState:
        """The public queries (runs, events, usage, sessions, agent status, memory) and
        memory curation, over this runtime's own journal and memory."""
        if self._state is None:
            raise RuntimeError("the runtime is not started")
        return self._state

    # --------------------------------------------------------------- events
    def subscribe(
        self,
        *,
        capacity: int = 10_000,
        kinds: Iterable[str] | None = None,
        run_id: str | None = None,
        agents: Iterable[str] | None = None,
        hard_limit: int = 1_000_000,
    ) -> Subscription:
        """A queue of the events from now on (all, or those of `kinds`, of run `run_id`, of
        `agents`): transcript events are never dropped, status events coalesce past
        `capacity`; past `hard_limit` queued it closes itself with a reason (`wait_closed`)
        rather than grow. `close()` it. Events before now: `state.events(after_seq=...)`."""
        return self.bus.subscribe(
            capacity=capacity, kinds=kinds, run_id=run_id, agents=agents, hard_limit=hard_limit
        )

    def watch(self, sink: Callable[[Event], None]) -> Callable[[], None]:
        """Call `sink` inline with each event as it is emitted (keep it quick: it runs in
        the emitter's task); returns the function that stops it."""
        self.bus.add_sink(sink)
        return lambda: self.bus.remove_sink(sink)

    def signal_level(self, agent_id: str, run_ids: Sequence[str] = ()) -> float:
        """The strongest pheromone intensity on an agent (ambient, or in one of `run_ids`)
        as a fraction of its threshold: 1.0 is about to fire."""
        field = self.ambient.field
        threshold = field.threshold_of(agent_id) or 1.0
        scopes: list[str | None] = [None, *run_ids]
        return max(field.intensity(agent_id, scope) for scope in scopes) / threshold

    def clear_session(self, session_id: str) -> None:
        """Drop a session's transcript: its next turn starts afresh."""
        self.journal.clear_session(session_id)

    def session_length(self, session_id: str) -> int:
        """How many messages a session holds."""
        return self.journal.session_length(session_id)

    def _start_mcp(self) -> bool:
        """Start every enabled MCP server at once (when a loop runs: a CLI query that only
        reads the journal starts none). True when any started."""
        servers = [server for server in self.config.mcp_servers if server.enabled]
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        if not servers:
            return False
        self._mcp = McpClients(
            self.config.mcp_servers,
            self.tools,
            project_dir=self.config.project_dir,
            log_dir=self.state_dir / "logs" / "mcp",
            agents=self.config.agents,
            notify=self._notify_mcp,
            on_call=self._mcp_called,
        )
        self._mcp.start()
        return True

    def _notify_mcp(self, message: str) -> None:
        self.bus.emit(RuntimeNotice, message=message)

    def _mcp_called(self, call: McpCallDone) -> None:
        """A tool call sent to an MCP server: the metrics count it, the tracer draws it."""
        if self.bus.wanted(RemoteCallCompleted):
            self.bus.emit(
                RemoteCallCompleted,
                run_id=call.run_id,
                agent_id=call.agent_id,
                protocol="mcp",
                target=call.server,
                operation=f"tools/call {call.tool}",
                duration_s=call.duration_s,
                ok=call.error is None,
                error=call.error or "",
            )

    def mcp_servers(self) -> list[McpServerStatus]:
        """The configured MCP servers and their state (ready, starting, failed...)."""
        if self._mcp is None:
            return [_not_started(server) for server in self.config.mcp_servers]
        return self._mcp.statuses()

    def mcp_tools(self, server: str | None = None) -> list[McpToolInfo]:
        """The tools of the ready MCP servers (of `server` only, when given)."""
        return [] if self._mcp is None else self._mcp.tools(server)

    async def mcp_ready(self) -> None:
        """Until every MCP server has started or failed to (each within its timeout)."""
        if self._mcp is not None:
            await self._mcp.ready()

    async def call_mcp_tool(self, server: str, tool: str, arguments: dict[str, Any]) -> str:
        """Call a server's tool directly (by its own name), outside any agent."""
        if self._mcp is None:
            raise ToolError(f"no MCP server '{server}' is running")
        return await self._mcp.call(server, tool, arguments)

    def _notify(self, agent_id: str, message: str) -> None:
        self.bus.emit(RuntimeNotice, agent_id=agent_id, message=message)

    @property
    def owner(self) -> str:
        """This runtime's owner id, recorded on its runs (see `store.owner_lease`)."""
        if self._lease is None:
            raise RuntimeError("the runtime is not started")
        return self._lease.owner

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run a coroutine in the background, owned by the runtime (cancelled on close)."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Wait until no background activity (ambient cascades, spawned runs) is left."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._tasks:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            await asyncio.wait(set(self._tasks), timeout=remaining)
            if deadline is not None and time.monotonic() >= deadline:
                return

    def apply_config(self, config: Config) -> None:
        """Swap in a new, validated config. Activations in flight finish on their old
        definitions (they hold their own AgentConfig); sessions and the journal are kept."""
        changed = {
            p.name
            for p in config.providers
            if p.name not in {q.name for q in self.config.providers}
            or p != _find_provider(self.config, p.name)
        }
        for name in changed:
            stale = self._providers.pop(name, None)
            if stale is not None:
                self.spawn(stale.aclose())
        previous, self.config = self.config, config
        self.ambient.configure(config)
        if self._started and self._background:  # hosted: new or changed A2A peers checked
            check_remote_agents(self, previous)
        if self.messaging is not None:  # changed WASM agents are redeployed, removed ones go
            self.messaging.configure(config.agents, config.project_dir)
        summary = f"{len(config.agents)} agents, {len(config.workflows)} workflows"
        mcp = self._reconfigure_mcp(config)
        self.bus.emit(ConfigReloaded, ok=True, summary=f"{summary}; {mcp}" if mcp else summary)

    def _reconfigure_mcp(self, config: Config) -> str:
        """Changed MCP servers restart, removed ones stop, new ones start (unchanged ones
        keep running): what happened, briefly ("" when nothing did)."""
        if not self._started:
            return ""  # `start()` starts what the config names then
        if self._mcp is None:
            if not self._start_mcp():
                return ""
            return plan_changes((), config.mcp_servers)[0].describe()
        return self._mcp.reconfigure(config.mcp_servers, config.agents).describe()

    # ------------------------------------------------------------ providers
    def resolve_provider(self, agent: AgentConfig) -> ResolvedProvider:
        provider_config = _find_provider(self.config, agent.provider)
        if provider_config is None:
            raise ProviderError(
                f"agent '{agent.id}' uses provider '{agent.provider}', which is not configured",
                provider=agent.provider,
            )
        provider = self._providers.get(provider_config.name)
        if provider is None:
            from axo_tui.core.providers.registry import build_provider

            provider = build_provider(
                provider_config,
                all_providers={p.name: p for p in self.config.providers},
                transport=self._transport,
            )
            telemetry_events.report_retries(provider, self.bus)
            self._providers[provider_config.name] = provider
        model = agent.model or provider_config.model or DEFAULT_MODELS[provider_config.kind]
        return ResolvedProvider(provider, provider_config, model)

    # -------------------------------------------------------------- status
    def status(self, agent_id: str) -> AgentStatus:
        status = self._statuses.get(agent_id)
        if status is None:
            status = self._statuses[agent_id] = AgentStatus(agent_id)
        return status

    def statuses(self) -> list[AgentStatus]:
        statuses = [self.status(agent.id) for agent in self.config.agents]
        for status in statuses:
            self._refresh_state(status)  # a circuit's cool-down ends without any event
        return statuses

    def restart_agent(self, agent_id: str) -> None:
        """Close the agent's circuit (it was `degraded`) and forget its failures."""
        self.agent_config(agent_id)
        self.supervisor.close_circuit(agent_id)
        status = self.status(agent_id)
        status.last_error = None
        self._refresh_state(status)

    def _refresh_state(self, status: AgentStatus) -> None:
        if status.running:
            status.state = AgentState.RUNNING
        elif status.waiting:
            status.state = AgentState.WAITING
        elif self.supervisor.degraded(status.agent_id):
            status.state = AgentState.DEGRADED
        elif status.last_error is not None:
            status.state = AgentState.FAILED
        else:
            status.state = AgentState.IDLE

    # ----------------------------------------------------------------- runs
    def agent_config(self, agent_id: str) -> AgentConfig:
        try:
            return self.config.agent(agent_id)
        except KeyError:
            raise RunError(
                unknown_name("agent", agent_id, [a.id for a in self.config.agents])
            ) from None

    async def run_workflow(
        self, workflow_id: str, input_text: str, *, run_id: str | None = None
    ) -> RunResult:
        workflow, agents, state = self.plan_workflow(workflow_id)
        if self.cluster is not None:  # lattice.backend: nats (docs/distributed.md)
            return await self.cluster.run_workflow(workflow.id, input_text, run_id)
        if run_id is not None and self.journal.get_run(run_id) is not None:
            # Checked here: the run's row is written behind, and a duplicate found at the
            # commit would fail the writes of every run sharing it.
            raise RunError(f"run '{run_id}' exists already; give a new id or none")
        run_id = run_id or new_id()
        leader = leader_of(self.config, workflow)
        if leader is not None:  # a coordinator pass: a run of kind `coordinator`
            return await self.coordinators.run(workflow, leader, input_text, run_id)
        self.begin_run(run_id, "workflow", workflow.id, input_text)
        return await self.continue_workflow(run_id, workflow, agents, state, input_text, fresh=True)

    def plan_workflow(
        self, workflow_id: str
    ) -> tuple[WorkflowConfig, dict[str, AgentConfig], WorkflowRunState]:
        try:
            workflow = self.config.workflow(workflow_id)
        except KeyError:
            raise RunError(
                unknown_name("workflow", workflow_id, [w.id for w in self.config.workflows])
            ) from None
        agents = {agent_id: self.agent_config(agent_id) for agent_id in workflow.agents}
        deps = {
            agent_id: tuple(dep for dep in agent.depends_on if dep in agents)
            for agent_id, agent in agents.items()
        }
        return workflow, agents, WorkflowRunState(tuple(workflow.agents), deps)

    async def continue_workflow(
        self,
        run_id: str,
        workflow: WorkflowConfig,
        agents: Mapping[str, AgentConfig],
        state: WorkflowRunState,
        input_text: str,
        *,
        fresh: bool = False,
    ) -> RunResult:
        """Drive a run from `state` (`fresh`, or rebuilt from the journal by resume) to its
        end."""
        # This run's share of each agent's `waiting` count: given back once per agent, when
        # the agent starts, is skipped or the run ends without it (another run of the same
        # workflow may be waiting on the same agent at the same time).
        waiting = set(state.in_state(NodeState.PENDING))
        for agent_id in waiting:
            self.status(agent_id).waiting += 1

        def stop_waiting(agent_id: str) -> None:
            if agent_id in waiting:
                waiting.discard(agent_id)
                status = self.status(agent_id)
                status.waiting = max(0, status.waiting - 1)
                self._refresh_state(status)

        def on_skip(agent_id: str, reason: str) -> None:
            stop_waiting(agent_id)
            self.bus.emit(AgentSkipped, run_id=run_id, agent_id=agent_id, reason=reason)

        driver = WorkflowDriver(
            run_id=run_id,
            state=state,
            agents=agents,
            input_text=input_text,
            guard=workflow.max_activations or 4 * len(workflow.agents),
            fresh=fresh,
            activate=lambda request: self.activate(request, trigger="workflow"),
            on_skip=on_skip,
            on_start=stop_waiting,
        )
        try:
            await driver.drive()
        finally:
            for agent_id in list(waiting):
                stop_waiting(agent_id)
        return await self._finish_workflow(run_id, workflow.id, state)

    async def _finish_workflow(
        self, run_id: str, workflow_id: str, state: WorkflowRunState
    ) -> RunResult:
        failed = state.in_state(NodeState.FAILED)
        skipped = state.in_state(NodeState.SKIPPED)
        status = RunStatus.COMPLETED if not failed and not skipped else RunStatus.FAILED
        output = state.final_output()
        errors = {agent: state.errors[agent] for agent in (*failed, *skipped)}
        return await self.end_run(
            run_id,
            "workflow",
            workflow_id,
            status,
            output,
            outputs=dict(state.outputs),
            failed=failed,
            skipped=skipped,
            errors=errors,
            activations=state.activations,
        )

    async def run_agent(
        self,
        agent_id: str,
        input_text: str,
        *,
        session_id: str | None = None,
        task: str = "",
        run_kind: str = "agent",
        trigger: str = "manual",
        run_id: str | None = None,
    ) -> RunResult:
        """One turn of one agent. With a `session_id` the turn continues that session; with
        a `run_id` chosen beforehand, a caller can subscribe to the run's events first."""
        agent = self.agent_config(agent_id)
        if run_id is not None and self.journal.get_run(run_id) is not None:
            raise RunError(f"run '{run_id}' exists already; give a new id or none")
        if (
            self.cluster is not None  # lattice.backend: nats (docs/distributed.md)
            and run_kind == "agent"  # chat, proactive, message turns stay where they start
            and session_id is None
            and not self.cluster.runs_here(agent.id)
        ):
            return await self.cluster.run_agent(
                agent.id, input_text, run_id, trigger=trigger, task=task
            )
        run_id = run_id or new_id()
        self.begin_run(run_id, run_kind, agent_id, input_text)
        request = TurnRequest(
            agent=agent,
            input=input_text,
            activation_id=new_id(),
            session_id=session_id or f"run:{run_id}:{agent_id}",
            run_id=run_id,
            task=task,
            new_session=session_id is None,
        )
        if session_id is None:
            return await self.run_turn(run_kind, request, trigger=trigger)
        async with self.session_turns.hold(session_id):
            return await self.run_turn(run_kind, request, trigger=trigger)

    async def run_turn(self, run_kind: str, request: TurnRequest, *, trigger: str) -> RunResult:
        """The one activation of a single-turn run, and the run's end."""
        agent_id = request.agent.id
        result = await self.activate(request, trigger=trigger)
        return await self.end_run(
            request.run_id or "",
            run_kind,
            agent_id,
            RunStatus.COMPLETED if result.ok else RunStatus.FAILED,
            result.output,
            outputs={agent_id: result.output} if result.ok else {},
            failed=() if result.ok else (agent_id,),
            errors={} if result.ok else {agent_id: result.error or "failed"},
            activations=1,
        )

    async def fire_skill(self, skill_id: str, input_text: str = "") -> RunResult:
        return await self.ambient.fire_skill(skill_id, input_text)

    async def emit_signal(self, name: str, payload: str = "") -> RunResult:
        return await self.ambient.emit_signal(name, payload)

    async def resume_unfinished(
        self, *, include_interrupted: bool = False, at_once: int = RESUME_AT_ONCE
    ) -> list[RunResult]:
        """Resume the runs a crashed (or killed) process left unfinished, `at_once` at a
        time; with `include_interrupted`, the runs stopped with Ctrl+C too. See `resume`."""
        return await resume_unfinished(
            self, include_interrupted=include_interrupted, at_once=at_once
        )

    def stopped_runs(self) -> StoppedRuns:
        """The runs no live process drives: crashed (resumed at start-up) and interrupted."""
        return stopped_runs(self)

    async def interrupt_runs(self) -> list[str]:
        """Record the runs this runtime drives as `interrupted` (stopped on purpose, e.g.
        Ctrl+C; resumed only on request). Call after their tasks were cancelled."""
        return await interrupt_runs(self)

    async def stop_runs(self, timeout: float = 10) -> list[str]:
        """Stop every run this runtime drives, as a front end shutting down does (SIGTERM,
        Ctrl+C): their tasks are cancelled, then the runs are recorded `interrupted`, to be
        resumed on request (`resume_run`), never half-written. Returns their ids."""
        current = asyncio.current_task()
        tasks = [
            task
            for run_id, task in self._run_tasks.items()
            if task is not current
            and not task.done()
            and getattr(self.journal.get_run(run_id), "kind", None) != "consolidation"
        ]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        return await self.interrupt_runs()

    # ------------------------------------------------------------ approvals
    async def decide_approval(
        self,
        approval_id: str,
        decision: str,
        remember: str = "once",
        *,
        args_hash: str | None = None,
        exact: bool = True,
    ) -> ApprovalRecord:
        """Answer a pending tool approval (`decision`: approve or deny; `remember`: once, or
        always for this agent and tool). Committed before it returns; the waiting call goes
        on at once. Raises ApprovalError (unknown id, decided already, timed out, run
        ended, `args_hash` not the approval's). Queries: `state.pending_approvals()`."""
        record = record_decision(
            self.journal, approval_id, decision, remember, args_hash=args_hash, exact=exact
        )
        await self.journal.durable()
        if self._approvals is not None:
            self._approvals.wake(record.id)
        return record

    async def revoke_approval_rule(self, agent_id: str, tool: str) -> ApprovalRule:
        """Forget a remembered decision (raises ApprovalError if there is none)."""
        rule = revoke_rule(self.journal, agent_id, tool)
        await self.journal.durable()
        return rule

    def interrupted_turn(self, session_id: str) -> InterruptedTurn | None:
        """The turn of `session_id` a crash interrupted that is running again here, or will
        when this runtime resumes unfinished runs; None when there is none."""
        return interrupted_turn(self, session_id)

    async def resume_run(self, run_id: str) -> RunResult:
        """Resume one unfinished run (id or unique prefix). Raises RunError if it cannot."""
        from axo_tui.core.runtime.resume import RunResumeError

        try:
            return await resume_run(self, run_id)
        except RunResumeError as exc:
            raise RunError(str(exc)) from None

    async def resume_coordinator(self, record: RunRecord) -> RunResult:
        """Continue a coordinator pass a crash cut (see `resume`; `coordinator.Coordinators`)."""
        return await self.coordinators.resume(record)

    async def cancel_run(self, run_id: str) -> RunResult:
        """Cancel a run this runtime is driving. Its task is cancelled, and with it the
        run's in-flight activations, so no agent of the run starts afterwards. The run ends
        `cancelled` (journaled, announced by RunCompleted, never resumed); its interrupted
        activations are journaled `cancelled` and announced by AgentFailed (error_kind
        `cancelled`). A run no process drives (crashed, interrupted) is cancelled in the
        journal (`resume.cancel_stopped_run`). Raises RunError if neither applies."""
        task = self._run_tasks.get(run_id)
        record = self.journal.get_run(run_id)
        stopped = record is not None and (  # or ended: its refusal says how it ended
            record.status != RunStatus.RUNNING or self.journal.run_owner(record.id) != self.owner
        )
        if task is None and record is not None and stopped:
            # Crashed or interrupted: no task to stop, the journal alone says it ends.
            from axo_tui.core.runtime.resume import RunResumeError

            try:
                return await cancel_stopped_run(self, record.id)
            except RunResumeError as exc:
                raise RunError(str(exc)) from None
        if task is None or record is None or record.status != RunStatus.RUNNING:
            raise RunError(f"no run '{run_id}' is running in this process")
        if record.kind == "consolidation" or task is asyncio.current_task():
            # Those share their task with a longer job (the consolidation loop, the caller).
            raise RunError(f"run {run_id} ({record.kind}) cannot be cancelled")
        task.cancel()
        await asyncio.wait({task}, timeout=10)
        self._run_tasks.pop(run_id, None)
        outputs, errors = {}, {}
        activations = self.journal.activations(run_id)
        for activation in activations:
            if activation.status == ActivationStatus.COMPLETED:
                outputs[activation.agent_id] = activation.output or ""
            elif activation.status == ActivationStatus.RUNNING:
                self.journal.finish_activation(
                    activation.id, ActivationStatus.CANCELLED, None, "cancelled"
                )
                errors[activation.agent_id] = "cancelled while running"
                self.bus.emit(
                    AgentFailed,
                    run_id=run_id,
                    agent_id=activation.agent_id,
                    activation_id=activation.id,
                    error="cancelled by the user",
                    error_kind=ErrorKind.CANCELLED,
                )
        return await self.end_run(
            run_id,
            record.kind,
            record.target,
            RunStatus.CANCELLED,
            "",
            outputs=outputs,
            errors=errors,
            activations=len(activations),
        )

    def _track_run(self, event: Event) -> None:
        # A run is announced from the task that drives it, before its first await (fresh
        # runs in `begin_run`, resumed ones in `resume_run`).
        if isinstance(event, RunStarted) and event.run_id:
            task = asyncio.current_task()
            if task is not None:
                self._run_tasks[event.run_id] = task
        elif isinstance(event, RunCompleted) and event.run_id:
            self._run_tasks.pop(event.run_id, None)

    # ------------------------------------------------------- run bookkeeping
    def begin_run(self, run_id: str, kind: str, target: str, input_text: str) -> None:
        self.journal.create_run(run_id, kind, target, input_text, owner=self.owner)
        self.bus.emit(RunStarted, run_id=run_id, run_kind=kind, target=target, input=input_text)

    async def end_run(
        self,
        run_id: str,
        kind: str,
        target: str,
        status: RunStatus,
        output: str,
        *,
        outputs: dict[str, str],
        failed: tuple[str, ...] = (),
        skipped: tuple[str, ...] = (),
        errors: dict[str, str] | None = None,
        activations: int = 0,
    ) -> RunResult:
        errors = errors or {}
        error = "; ".join(f"{agent}: {message}" for agent, message in errors.items()) or None
        usage = Usage(*self.journal.run_tokens(run_id))  # all of it: nothing more can run
        self.journal.finish_run(run_id, status, output, error=error, failed=failed, skipped=skipped)
        # The end is committed before anyone hears of it.
        await self.journal.durable(alone=self._in_flight == 0)
        telemetry_events.report_queue_depths(self.bus)  # sampled before the run's last word
        self.bus.emit(
            RunCompleted,
            run_id=run_id,
            status=status,
            output=output,
            failed=failed,
            skipped=skipped,
            error=error,
        )
        self.ambient.run_finished(run_id, kind)
        return RunResult(
            run_id,
            kind,
            target,
            status,
            output,
            outputs=outputs,
            failed=failed,
            skipped=skipped,
            errors=errors,
            usage=usage,
            activations=activations,
        )

    # ------------------------------------------------------------ activation
    async def activate(self, request: TurnRequest, *, trigger: str) -> ActivationResult:
        """Run one activation: journal it, stream it, classify its failure. Never raises
        for agent-level failures: one agent's failure must not stop the others."""
        self._in_flight += 1
        try:
            return await self._run_activation(request, trigger)
        finally:
            self._in_flight -= 1

    async def _run_activation(self, request: TurnRequest, trigger: str) -> ActivationResult:
        agent_id = request.agent.id
        status = self.status(agent_id)
        status.running += 1
        self._refresh_state(status)
        with self.journal.batch():  # the activation's row and its event: one commit
            self.journal.start_activation(
                request.activation_id,
                request.run_id or "",
                agent_id,
                trigger,
                request.input,
                session_id=request.session_id,
            )
            self.bus.emit(
                AgentActivated,
                run_id=request.run_id,
                agent_id=agent_id,
                activation_id=request.activation_id,
                trigger=trigger,
                input=request.input,
            )
        self.ambient.agent_activated(agent_id)
        error_kind: ErrorKind | None = None
        try:
            await self.supervisor.admit(agent_id)  # refuses a degraded agent, waits out a backoff
            outcome = await self._backend(request.agent).run(request)
        except CircuitOpenError as exc:
            error, error_kind = str(exc), ErrorKind.CIRCUIT_OPEN
        except BudgetExceededError as exc:
            error, error_kind = str(exc), ErrorKind.BUDGET
            self.bus.emit(
                BudgetExceeded,
                run_id=request.run_id,
                agent_id=agent_id,
                limit=exc.limit,
                allowed=exc.allowed,
                requested=exc.requested,
                policy="abort",
            )
        except ProviderError as exc:
            error, error_kind = str(exc), ErrorKind.PROVIDER
        except ToolLoopError as exc:
            error, error_kind = str(exc), ErrorKind.TOOL_LOOP
        except JournalError as exc:  # a full disk, a damaged journal: said, not a traceback
            error, error_kind = str(exc), ErrorKind.JOURNAL
        except asyncio.CancelledError:
            status.running -= 1
            self._refresh_state(status)
            raise
        except Exception as exc:  # a bug in one agent's turn must not take the runtime down
            log.exception("activation %s of %s crashed", request.activation_id, agent_id)
            error, error_kind = f"internal error: {type(exc).__name__}: {exc}", ErrorKind.INTERNAL
        else:
            status.running -= 1
            status.last_error = None
            status.tokens += outcome.usage.total
            self._refresh_state(status)
            done = ActivationResult(
                agent_id, request.activation_id, True, outcome.text, usage=outcome.usage
            )
            superseded = await self._settle(request, done)
            if superseded is not None:
                return await self._superseded(request, superseded)
            self.journal.finish_activation(
                request.activation_id, ActivationStatus.COMPLETED, outcome.text
            )
            # A completion is committed before it is announced (at once when no other
            # activation could share the commit).
            await self.journal.durable(alone=self._in_flight == 1)
            # Checkpointed before the completion is reported: whoever sees it may rely on it.
            await self.supervisor.after_turn(
                request,
                self.journal,
                ok=True,
                usage=(outcome.usage.prompt_tokens, outcome.usage.completion_tokens),
                session_length=outcome.session_length,
            )
            self.bus.emit(
                AgentCompleted,
                run_id=request.run_id,
                agent_id=agent_id,
                activation_id=request.activation_id,
                output=outcome.text,
                prompt_tokens=outcome.usage.prompt_tokens,
                completion_tokens=outcome.usage.completion_tokens,
            )
            self.ambient.agent_finished(agent_id, request.run_id, ok=True, output=outcome.text)
            return done
        status.running -= 1
        failed = ActivationResult(
            agent_id, request.activation_id, False, error=error, error_kind=error_kind
        )
        superseded = await self._settle(request, failed)
        if superseded is not None:
            self._refresh_state(status)
            return await self._superseded(request, superseded)
        status.last_error = error
        self.journal.finish_activation(request.activation_id, ActivationStatus.FAILED, None, error)
        await self.journal.durable(alone=self._in_flight == 1)
        await self.supervisor.after_turn(
            request, self.journal, ok=False, error=error, error_kind=error_kind
        )
        self._refresh_state(status)  # after the supervisor: it may have opened the circuit
        self.bus.emit(
            AgentFailed,
            run_id=request.run_id,
            agent_id=agent_id,
            activation_id=request.activation_id,
            error=error,
            error_kind=error_kind,
        )
        self.ambient.agent_finished(agent_id, request.run_id, ok=False, output=error)
        return failed

    async def _settle(self, request: TurnRequest, result: ActivationResult) -> str | None:
        """Whether the turn's end stands (None) or why not, per `request.settle`."""
        if request.settle is None:
            return None
        # What the turn left is committed before anyone else is told it ended.
        await self.journal.durable(alone=self._in_flight == 1)
        try:
            return await request.settle(result)
        except Exception as exc:  # not known to count: announcing it could count it twice
            log.exception("settling activation %s", request.activation_id)
            return f"its end could not be recorded: {exc}"

    async def _superseded(self, request: TurnRequest, reason: str) -> ActivationResult:
        """A turn whose end does not count (another node's did): journaled `cancelled`."""
        self.journal.finish_activation(
            request.activation_id, ActivationStatus.CANCELLED, None, reason
        )
        await self.journal.durable(alone=self._in_flight == 1)
        self.bus.emit(
            AgentFailed,
            run_id=request.run_id,
            agent_id=request.agent.id,
            activation_id=request.activation_id,
            error=reason,
            error_kind=ErrorKind.CANCELLED,
        )
        return ActivationResult(
            request.agent.id,
            request.activation_id,
            False,
            error=reason,
            error_kind=ErrorKind.CANCELLED,
        )

    def _backend(self, agent: AgentConfig) -> ActivationBackend:
        kind = agent_kind(agent)
        backend = self._backends.get(kind)
        if backend is None:
            raise BackendError(f"agent '{agent.id}' is of kind '{kind}', which no backend runs")
        return backend


def _find_provider(config: Config, name: str) -> ProviderConfig | None:
    for provider in config.providers:
        if provider.name == name:
            return provider
    return None


def _not_started(server: McpServerConfig) -> McpServerStatus:
    state = ServerState.STOPPED if server.enabled else ServerState.DISABLED
    target = server.url or " ".join((server.command or "", *server.args)).strip()
    return McpServerStatus(server.name, server.transport.value, target, state, 0)
