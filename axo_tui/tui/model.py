"""What the workbench knows, folded from runtime events. Imports no textual.

The bridge applies each batch of events to one `WorkbenchModel`; widgets read it. Keeping the
folding here (not in widgets) means a widget that is off screen, or created later, can render
the full picture from the model instead of having had to see every event itself.

Text from events (replies, tool results, errors, run inputs) is untrusted: the model keeps it
with its terminal controls neutralised (`core.base.terminal_text`), so no widget can draw an
escape sequence from it.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from axo_tui.core.base.enums import ErrorKind, RunStatus
from axo_tui.core.base.terminal_text import neutralise
from axo_tui.core.config.schema import Config
from axo_tui.core.events.catalog import (
    AclMessageSent,
    AgentActivated,
    AgentCompleted,
    AgentFailed,
    AgentSkipped,
    BudgetExceeded,
    ConfigReloaded,
    Event,
    LatticeSignal,
    RunCompleted,
    RunStarted,
    RuntimeNotice,
    SignalEmitted,
    SkillFired,
    TokenStreamed,
    ToolCalled,
    ToolResult,
    UsageRecorded,
    WasmEvent,
)
from axo_tui.core.telemetry.logs import LogSelection

PULSE_DECAY = 0.8
"""λ (per second) of the activity pulse: a burst fades to ~5% in under 4 s."""
PULSE_FLOOR = 0.02
"""Below this a pulse counts as zero, so the lattice can stop animating."""
ACTIVITY_WEIGHTS = {
    # The DESIGN pheromone weights, so the picture agrees with the ambient lattice.
    "agent.activated": 1.0,
    "agent.failed": 0.8,
    "agent.completed": 0.5,
    "tool.called": 0.3,
    "tool.result": 0.3,
    "token.streamed": 0.04,
    "acl.message": 0.5,
}
ACL_PULSE = 0.5
"""What an ACL message adds to each receiver's pulse (the sender's is `acl.message` above)."""
STREAM_FLUSH_CHARS = 1000
"""A streamed paragraph longer than this moves to the log at a word break (until then the
stream tail shows it live); most text moves at its newlines or when the activation ends."""
HISTORY = 8
"""Activations kept per agent for the spend sparkline."""
LOG_LIMIT = 5000
EVENT_LIMIT = 2000


@dataclass
class AgentView:
    agent_id: str
    name: str
    budget: int | None = None
    phase: str = "idle"
    """idle, waiting, running, done, failed, skipped or cancelled: the latest run's view of
    this agent."""
    running: int = 0
    exec_tokens: int = 0
    """Tokens of the current activation, or of the last one when idle."""
    total_tokens: int = 0
    history: deque[int] = field(default_factory=lambda: deque(maxlen=HISTORY))
    last_error: str | None = None
    activity: float = 0.0
    activity_at: float = 0.0

    def pulse(self, now: float) -> float:
        level = self.activity * math.exp(-PULSE_DECAY * max(0.0, now - self.activity_at))
        return level if level >= PULSE_FLOOR else 0.0


@dataclass
class RunView:
    run_id: str
    number: int
    kind: str
    target: str
    input: str
    started_at: float
    status: str = "running"
    output: str = ""
    error: str | None = None
    finished_at: float | None = None

    @property
    def label(self) -> str:
        return f"#{self.number}"


# Slots: up to LOG_LIMIT live at once, so no dict per line (memory, and fewer objects for
# each of the garbage collector's full passes).
@dataclass(frozen=True, slots=True)
class LogLine:
    ts: float
    style: str
    """A log component name: run, agent, token, tool, result, error, warn, info."""
    text: str
    agent_id: str | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class LogFilter:
    agent_id: str | None = None
    run_id: str | None = None

    def matches(self, line: LogLine) -> bool:
        # The rule `axo logs` applies too: lines without an agent (run start/finish) stay
        # visible, they frame the agent's lines.
        return self.selection.admits(line.agent_id, line.run_id)

    @functools.cached_property
    def selection(self) -> LogSelection:
        return LogSelection.of(None if self.agent_id is None else [self.agent_id], self.run_id)


@dataclass
class StreamBuffer:
    """Tokens of one activation not yet moved to the log (no newline seen yet)."""

    agent_id: str
    run_id: str | None
    text: str = ""


@dataclass(frozen=True)
class ConfigStatus:
    ok: bool
    summary: str
    at: float
    """Wall-clock time of the (attempted) reload; 0 for the config loaded at start."""
    latency_ms: float | None = None
    problems: tuple[str, ...] = ()


class LogBuffer:
    """A bounded log with absolute line numbers, so readers can resume where they stopped."""

    def __init__(self, limit: int = LOG_LIMIT) -> None:
        self._lines: deque[LogLine] = deque(maxlen=limit)
        self.total = 0

    def append(self, line: LogLine) -> None:
        self._lines.append(line)
        self.total += 1

    @property
    def first_index(self) -> int:
        return self.total - len(self._lines)

    def since(self, index: int) -> Iterator[LogLine]:
        for _number, line in self.numbered(index):
            yield line

    def numbered(self, index: int) -> list[tuple[int, LogLine]]:
        """The lines from absolute number `index` on (or from the oldest kept), with their
        numbers. A list, not a generator: callers may append while they read."""
        first = self.first_index
        start = max(index, first)
        # islice skips the lines before `start` in C: readers ask each frame for the few
        # newest lines of a full buffer.
        return list(zip(itertools.count(start), itertools.islice(self._lines, start - first, None)))

    def __len__(self) -> int:
        return len(self._lines)


class WorkbenchModel:
    """Agents, runs, totals, log and recent events, as the UI shows them."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], float] = time.time,
        show_durations: bool = True,
    ) -> None:
        self.clock = clock
        self.show_durations = show_durations
        """Off for deterministic screenshots: "completed in 0.1s" varies run to run."""
        self.config = config
        self.agents: dict[str, AgentView] = {}
        self.runs: dict[str, RunView] = {}
        self._running: dict[str, None] = {}
        """Ids of the runs still running, in start order."""
        self.log = LogBuffer()
        self.events: deque[Event] = deque(maxlen=EVENT_LIMIT)
        self.streams: dict[str, StreamBuffer] = {}
        self.total_tokens = 0
        self.total_cost: float | None = None
        self.config_status = ConfigStatus(True, "loaded", 0.0)
        self.field_level: Callable[[str], float] = lambda agent_id: 0.0
        """The runtime's pheromone intensity / threshold for an agent (set by the bridge)."""
        self.mcp_servers: dict[str, dict[str, Any]] = {}
        """Each MCP server's last status (`runtime.mcp_servers()`, polled by the screen)."""
        self.deployed: dict[str, None] = {}
        """WASM agents deployed outside the config (`axo deploy`): nodes of the lattice too."""
        self.links: dict[tuple[str, str], None] = {}
        """(sender, receiver) pairs of agents that exchanged ACL messages: lattice edges."""
        self.topology = 0
        """Counts changes of the agents or links shown (the lattice lays out again)."""
        self.sync_config(config)

    def note_mcp(self, statuses: Iterable[dict[str, Any]]) -> bool:
        """Take the MCP servers' statuses; a server that became ready or failed gets a log
        line. True when anything changed (a server a reload removed is dropped)."""
        statuses = list(statuses)
        listed = {status["name"] for status in statuses}
        gone = [name for name in self.mcp_servers if name not in listed]
        for name in gone:
            del self.mcp_servers[name]
        changed = bool(gone)
        for status in statuses:
            name = status["name"]
            before = self.mcp_servers.get(name)
            self.mcp_servers[name] = status
            if before == status:
                continue
            changed = True
            moved = before is None or (before["state"], before["error"]) != (
                status["state"],
                status["error"],
            )
            if moved and status["state"] == "ready":
                text = f"● MCP server '{name}' ready: {status['tools']} tools"
                self.log.append(LogLine(self.clock(), "info", neutralise(text)))
            elif moved and status["state"] == "failed" and status["error"]:
                text = f"✗ {status['error']} (retrying)"
                self.log.append(LogLine(self.clock(), "warn", neutralise(text)))
        return changed

    @property
    def mcp_summary(self) -> str:
        """`mcp 2/3` (ready / enabled), or empty with no MCP servers."""
        enabled = [s for s in self.mcp_servers.values() if s["state"] != "disabled"]
        if not enabled:
            return ""
        ready = sum(s["state"] == "ready" for s in enabled)
        return f"mcp {ready}/{len(enabled)}"

    # ------------------------------------------------------------------ config
    def sync_config(self, config: Config) -> None:
        """Follow a (re)loaded config: new agents appear, removed ones go, stats stay."""
        self.config = config
        kept: dict[str, AgentView] = {}
        for agent in config.agents:
            view = self.agents.get(agent.id) or AgentView(agent.id, agent.display_name)
            view.name = agent.display_name
            view.budget = agent.token_budget.per_execution
            kept[agent.id] = view
        for name in self.deployed:
            kept.setdefault(name, self.agents.get(name) or AgentView(name, name))
        self.agents = kept
        self.links = {link: None for link in self.links if set(link) <= set(kept)}
        self.topology += 1

    def note_deployed(self, names: Iterable[str]) -> None:
        """WASM agents running now (`runtime.messaging.agents()`), deployed before the
        workbench subscribed; those outside the config join the lattice."""
        configured = {agent.id for agent in self.config.agents}
        fresh = [name for name in names if name not in configured and name not in self.deployed]
        if fresh:
            self.deployed.update(dict.fromkeys(fresh))
            self.sync_config(self.config)

    def dependencies(self) -> list[tuple[str, tuple[str, ...]]]:
        """(agent, what it follows) for the layout: `depends_on`, and the agents it got ACL
        messages from (a ping-pong pair is a cycle: the layout draws one edge of it)."""
        senders: dict[str, list[str]] = {}
        for sender, receiver in self.links:
            senders.setdefault(receiver, []).append(sender)
        nodes = [(a.id, a.depends_on) for a in self.config.agents]
        configured = {agent_id for agent_id, _ in nodes}
        nodes += [(name, ()) for name in self.deployed if name not in configured]
        return [(agent_id, (*deps, *senders.get(agent_id, ()))) for agent_id, deps in nodes]

    # ------------------------------------------------------------------- reads
    def pulse(self, agent_id: str, now: float | None = None) -> float:
        view = self.agents.get(agent_id)
        if view is None:
            return 0.0
        own = view.pulse(self.clock() if now is None else now)
        return min(1.0, max(own, self.field_level(agent_id)))

    def any_pulse(self) -> bool:
        now = self.clock()
        return any(self.pulse(agent_id, now) > 0 for agent_id in self.agents)

    @property
    def run_count(self) -> int:
        return len(self.runs)

    def run_label(self, run_id: str | None) -> str:
        run = self.runs.get(run_id or "")
        return run.label if run is not None else "-"

    def active_run_ids(self) -> list[str]:
        # Asked for every agent on every frame (the lattice's pulses); `runs` keeps every run
        # of the session, so the running ones are tracked as they start and finish.
        return list(self._running)

    def running_runs(self) -> list[RunView]:
        """The runs still going, oldest first."""
        return [self.runs[run_id] for run_id in self._running if run_id in self.runs]

    @property
    def running_count(self) -> int:
        return len(self._running)

    # ------------------------------------------------------------------ folding
    def apply(self, events: Iterable[Event]) -> None:
        for event in events:
            self.events.append(event)
            handler = _HANDLERS.get(type(event))
            if handler is not None:
                handler(self, event)
            weight = ACTIVITY_WEIGHTS.get(event.kind)
            if weight is not None and event.agent_id is not None:
                self._bump(event.agent_id, weight)

    def _bump(self, agent_id: str, weight: float) -> None:
        view = self.agents.get(agent_id)
        if view is None:
            return
        now = self.clock()
        view.activity = min(1.0, view.pulse(now) + weight)
        view.activity_at = now

    def _line(self, event: Event, style: str, text: str) -> None:
        self.log.append(LogLine(event.ts, style, neutralise(text), event.agent_id, event.run_id))

    def _flush_stream(self, activation_id: str, event: Event, *, final: bool) -> None:
        stream = self.streams.get(activation_id)
        if stream is None:
            return
        text = stream.text
        lines = text.split("\n")
        rest = "" if final else lines.pop()
        if not final and len(rest) > STREAM_FLUSH_CHARS:
            cut = rest.rfind(" ", 0, STREAM_FLUSH_CHARS)
            cut = cut if cut > 0 else STREAM_FLUSH_CHARS
            lines.append(rest[:cut])
            rest = rest[cut:].lstrip(" ")
        for line in lines:
            if line.strip():
                self.log.append(
                    LogLine(event.ts, "token", line.rstrip(), stream.agent_id, stream.run_id)
                )
        if final:
            del self.streams[activation_id]
        else:
            stream.text = rest

    # Handlers, one per event type; each keeps to one concern.
    def _on_run_started(self, event: RunStarted) -> None:
        number = len(self.runs) + 1
        self._running[event.run_id or ""] = None
        self.runs[event.run_id or ""] = RunView(
            event.run_id or "",
            number,
            event.run_kind,
            event.target,
            neutralise(event.input),
            event.ts,
        )
        if event.run_kind == "workflow":
            try:
                members = self.config.workflow(event.target).agents
            except KeyError:
                members = ()
            for agent_id in members:
                view = self.agents.get(agent_id)
                if view is not None and not view.running:
                    view.phase = "waiting"
        text = f"▶ run #{number} {event.run_kind} {event.target}"
        if event.input:
            text += f": {_one_line(event.input)}"
        self._line(event, "run", text)

    def _on_run_completed(self, event: RunCompleted) -> None:
        run = self.runs.get(event.run_id or "")
        if run is None:
            return
        run.status, run.output = event.status, neutralise(event.output)
        run.error = None if event.error is None else neutralise(event.error)
        self._running.pop(run.run_id, None)
        run.finished_at = event.ts
        for view in self.agents.values():
            if view.phase == "waiting" and not view.running:
                view.phase = "idle"
        took = f" in {event.ts - run.started_at:.1f}s" if self.show_durations else ""
        style = {
            RunStatus.COMPLETED: "run",
            RunStatus.CANCELLED: "warn",
            RunStatus.INTERRUPTED: "warn",
        }.get(event.status, "error")
        self._line(event, style, f"■ run #{run.number} {event.status}{took}")
        if event.error and event.status not in (RunStatus.COMPLETED, RunStatus.CANCELLED):
            self._line(event, "error", f"  {event.error}")
        for line in event.output.strip().splitlines():
            self._line(event, "output", f"  {line}")

    def _on_activated(self, event: AgentActivated) -> None:
        view = self.agents.get(event.agent_id or "")
        if view is not None:
            view.running += 1
            view.phase = "running"
            view.exec_tokens = 0
        self.streams[event.activation_id] = StreamBuffer(event.agent_id or "", event.run_id)
        self._line(event, "agent", f"started ({event.trigger})")

    def _on_token(self, event: TokenStreamed) -> None:
        stream = self.streams.get(event.activation_id)
        if stream is None:
            stream = self.streams[event.activation_id] = StreamBuffer(
                event.agent_id or "", event.run_id
            )
        text = neutralise(event.text)  # the stream tail draws it as it is
        stream.text += text
        if "\n" in text or len(stream.text) > STREAM_FLUSH_CHARS:
            self._flush_stream(event.activation_id, event, final=False)

    def _on_tool_called(self, event: ToolCalled) -> None:
        self._flush_stream(event.activation_id, event, final=False)
        stream = self.streams.get(event.activation_id)
        if stream is not None and stream.text.strip():
            # A tool call ends the text before it; keep the order the agent did things in.
            self._line(event, "token", stream.text.strip())
            stream.text = ""
        arguments = json.dumps(event.arguments, ensure_ascii=False, default=str)
        self._line(event, "tool", f"▸ tool {event.tool} {_clip(arguments, 160)}")

    def _on_tool_result(self, event: ToolResult) -> None:
        style = "result" if event.ok else "error"
        self._line(event, style, f"◂ {event.tool} → {_clip(_one_line(event.result), 160)}")

    def _finish_activation(self, event: Event, activation_id: str, phase: str) -> None:
        self._flush_stream(activation_id, event, final=True)
        view = self.agents.get(event.agent_id or "")
        if view is not None:
            view.running = max(0, view.running - 1)
            view.phase = "running" if view.running else phase

    def _on_completed(self, event: AgentCompleted) -> None:
        self._finish_activation(event, event.activation_id, "done")
        tokens = event.prompt_tokens + event.completion_tokens
        view = self.agents.get(event.agent_id or "")
        if view is not None:
            view.exec_tokens = tokens
            view.history.append(tokens)
            view.last_error = None
        self._line(event, "done", f"✓ done ({format_tokens(tokens)} tok)")

    def _on_failed(self, event: AgentFailed) -> None:
        if event.error_kind == ErrorKind.CANCELLED:
            self._finish_activation(event, event.activation_id, "cancelled")
            self._line(event, "warn", "✗ cancelled")
            return
        self._finish_activation(event, event.activation_id, "failed")
        view = self.agents.get(event.agent_id or "")
        if view is not None:
            view.last_error = neutralise(event.error)
            view.history.append(view.exec_tokens)
        self._line(event, "error", f"✗ {event.error_kind}: {event.error}")

    def _on_skipped(self, event: AgentSkipped) -> None:
        view = self.agents.get(event.agent_id or "")
        if view is not None and not view.running:
            view.phase = "skipped"
        self._line(event, "warn", f"⤼ skipped: {event.reason}")

    def _on_usage(self, event: UsageRecorded) -> None:
        tokens = event.prompt_tokens + event.completion_tokens
        self.total_tokens += tokens
        if event.cost_usd is not None:
            self.total_cost = (self.total_cost or 0.0) + event.cost_usd
        view = self.agents.get(event.agent_id or "")
        if view is not None:
            view.total_tokens += tokens
            if view.running:
                view.exec_tokens += tokens

    def _on_budget(self, event: BudgetExceeded) -> None:
        style = "error" if event.policy == "abort" else "warn"
        self._line(
            event,
            style,
            f"⚠ budget {event.limit}: needs {event.requested}, allowed {event.allowed} "
            f"({event.policy})",
        )

    def _on_signal(self, event: SignalEmitted) -> None:
        text = f"◆ signal {event.name} from {event.source}"
        if event.payload_text:
            text += f": {_clip(_one_line(event.payload_text), 80)}"
        self._line(event, "info", text)

    def _on_lattice_signal(self, event: LatticeSignal) -> None:
        if event.fired:
            self._line(event, "info", f"◆ {event.signal} crossed threshold: fired")

    def _on_skill(self, event: SkillFired) -> None:
        emits = f" (emits {', '.join(event.emits)})" if event.emits else ""
        self._line(event, "info", f"✦ skill {event.skill_id} fired{emits}")

    def _on_config(self, event: ConfigReloaded) -> None:
        self._line(event, "info", f"⟳ config reloaded: {event.summary}")

    def _on_notice(self, event: RuntimeNotice) -> None:
        self._line(event, "warn", f"⚠ {event.message}")

    def _on_acl(self, event: AclMessageSent) -> None:
        for receiver in event.receivers:
            self._bump(receiver, ACL_PULSE)
            link = (event.sender, receiver)
            known = link in self.links or (receiver, event.sender) in self.links
            agents = event.sender in self.agents and receiver in self.agents
            if not known and agents and event.sender != receiver:
                self.links[link] = None
                self.topology += 1
        content = _clip(_one_line(event.content), 80)
        to = ", ".join(event.receivers)
        self._line(event, "info", f"✉ {event.sender} → {to} {event.performative}: {content}")

    def _on_wasm(self, event: WasmEvent) -> None:
        name = event.agent_id or ""
        if event.what == "wasm.deployed":
            self.note_deployed([name])
            self._line(event, "info", f"▲ WASM agent {name} deployed")
        elif event.what == "wasm.undeployed":
            if name in self.deployed:
                del self.deployed[name]
                self.agents.pop(name, None)
                self.sync_config(self.config)
            self._line(event, "info", f"▼ WASM agent {name} undeployed")
        elif event.what in ("wasm.failed", "wasm.degraded", "wasm.problem"):
            self._line(event, "error", f"✗ {event.text}")


_HANDLERS: dict[type[Event], Callable[[WorkbenchModel, Any], None]] = {
    RunStarted: WorkbenchModel._on_run_started,
    RunCompleted: WorkbenchModel._on_run_completed,
    AgentActivated: WorkbenchModel._on_activated,
    TokenStreamed: WorkbenchModel._on_token,
    ToolCalled: WorkbenchModel._on_tool_called,
    ToolResult: WorkbenchModel._on_tool_result,
    AgentCompleted: WorkbenchModel._on_completed,
    AgentFailed: WorkbenchModel._on_failed,
    AgentSkipped: WorkbenchModel._on_skipped,
    UsageRecorded: WorkbenchModel._on_usage,
    BudgetExceeded: WorkbenchModel._on_budget,
    SignalEmitted: WorkbenchModel._on_signal,
    LatticeSignal: WorkbenchModel._on_lattice_signal,
    SkillFired: WorkbenchModel._on_skill,
    ConfigReloaded: WorkbenchModel._on_config,
    RuntimeNotice: WorkbenchModel._on_notice,
    AclMessageSent: WorkbenchModel._on_acl,
    WasmEvent: WorkbenchModel._on_wasm,
}


def format_tokens(count: int) -> str:
    """1234 -> 1.2k; short enough for a table cell."""
    if count < 1000:
        return str(count)
    if count < 1_000_000:
        return f"{count / 1000:.1f}k"
    return f"{count / 1_000_000:.1f}M"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
