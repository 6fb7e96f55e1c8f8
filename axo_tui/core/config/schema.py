"""Typed, frozen objects an `axo.yaml` is parsed into.

The key names follow Axocoatl's schema so existing configs load unchanged; axo's own
additions (`on_upstream_failure`, `lattice`, `max_tool_rounds`, `prices`, `fallback`, ...)
are optional with defaults. Every default here is the documented default in docs/config.md.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from axo_tui.core.config.nats_schema import ClusterSettings
from axo_tui.core.config.problems import Problem


class Role(StrEnum):
    """What an agent is for. Workers take delegated subtasks; a coordinator decomposes goals."""

    AUTONOMOUS = "autonomous"
    WORKER = "worker"
    COORDINATOR = "coordinator"
    CHAT = "chat"


class OverflowPolicy(StrEnum):
    """What happens when a call would exceed a token budget."""

    ABORT = "abort"
    WARN = "warn"


class UpstreamFailurePolicy(StrEnum):
    """What a workflow agent does when one of its dependencies failed or was skipped."""

    SKIP = "skip"
    RUN = "run"


class ProviderKind(StrEnum):
    """The wire protocol a provider speaks."""

    OLLAMA = "ollama"
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GEMINI = "gemini"
    LOCAL = "local"
    SCRIPTED = "scripted"


class TriggerType(StrEnum):
    SCHEDULE = "schedule"
    ON_EVENT = "on_event"


@dataclass(frozen=True)
class SourceSpan:
    """Where a value was written: used to point errors found after parsing at the YAML."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class TokenBudget:
    """Token limits checked before every LLM call of an agent."""

    per_call: int | None = None
    per_execution: int | None = None
    overflow_policy: OverflowPolicy = OverflowPolicy.ABORT


@dataclass(frozen=True)
class Sampling:
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None


@dataclass(frozen=True)
class CoreBlockSpec:
    """A tier-3 core memory block the agent can edit."""

    label: str
    limit: int = 2000
    description: str = ""
    shared: bool = False
    value: str = ""


DEFAULT_CORE_BLOCKS: tuple[CoreBlockSpec, ...] = (
    CoreBlockSpec("persona", 2000, "Who you are and how you behave."),
    CoreBlockSpec("human", 2000, "What you know about the person you talk to."),
    CoreBlockSpec("project", 2000, "Durable facts about the current project."),
)


MEMORY_TOOL_NAMES = (
    "core_memory_append",
    "core_memory_replace",
    "core_memory_set",
    "recall_search",
    "recall_timeframe",
)
"""The memory tools every agent gets unless `memory.tools` narrows them."""


@dataclass(frozen=True)
class RecallSettings:
    """Tier-4 semantic recall."""

    passive_inject: bool = True
    top_k: int = 5
    min_score: float = 0.15
    share: bool = False
    """Store this agent's exchanges in the team's shared collection (every agent recalls them)
    instead of its own."""


@dataclass(frozen=True)
class CompactionSettings:
    summarise: bool = True
    """Ask the agent's model to summarise the turns folded out of the context window (within
    the token budget); False keeps the extractive note (first lines only, no extra call)."""


@dataclass(frozen=True)
class MemorySettings:
    core_blocks: tuple[CoreBlockSpec, ...] = DEFAULT_CORE_BLOCKS
    recall: RecallSettings = field(default_factory=RecallSettings)
    tools: tuple[str, ...] | None = None
    """The memory tools offered (a subset of MEMORY_TOOL_NAMES); None means all of them."""
    compaction: CompactionSettings = field(default_factory=CompactionSettings)


@dataclass(frozen=True)
class LatticeSettings:
    """Per-agent overrides of the ambient pheromone model."""

    threshold: float | None = None
    decay: float | None = None


class ApprovalMode(StrEnum):
    ALWAYS = "always"
    """Every call waits for a human (unless a remembered decision covers it)."""
    NEVER = "never"


DEFAULT_APPROVAL_TIMEOUT_SECS = 300.0


@dataclass(frozen=True)
class ApprovalSettings:
    """Which tool calls wait for a human (`approvals:`, at the top level and per agent)."""

    timeout_secs: float | None = None
    """None: the top level's, or DEFAULT_APPROVAL_TIMEOUT_SECS."""
    tools: tuple[tuple[str, ApprovalMode], ...] = ()
    """(tool name or glob, mode) in file order."""


A2A_PROVIDER = "a2a"
"""`provider: a2a` makes an agent a remote A2A agent at its `url` (docs/a2a.md)."""


@dataclass(frozen=True)
class A2ASettings:
    """`a2a:` of an agent or workflow: served over A2A (`expose`), and for a remote agent
    (`provider: a2a`) how it is called."""

    expose: bool = False
    multi_turn: bool = False
    """Served: a reply leaves the task `input-required`; the next message continues it."""
    headers: tuple[tuple[str, str], ...] = ()
    """Remote: sent with every request (values after `${VAR}` substitution)."""
    timeout_secs: float = 120.0
    """Remote: longest wait for the peer's next byte."""
    deadline_secs: float = 600.0
    """Remote: longest one call may take in all, retries included."""
    max_retries: int = 2


class AgentKind(StrEnum):
    """`kind:` of an agent: a model behind a provider, or a WebAssembly module."""

    LLM = "llm"
    WASM = "wasm"


@dataclass(frozen=True)
class WasmSettings:
    """`kind: wasm`: the module (relative to the project) and its limits (docs/abi.md)."""

    module: str = ""
    fuel: int = 100_000_000
    memory_mb: int = 64
    timeout_ms: int = 100


@dataclass(frozen=True)
class AgentConfig:
    id: str
    name: str = ""
    provider: str = "local"
    model: str = ""
    role: Role = Role.AUTONOMOUS
    system_prompt: str = ""
    depends_on: tuple[str, ...] = ()
    tools: tuple[str, ...] | None = None
    """Allow-list of tool names; None means the built-in defaults, () means no tools."""
    token_budget: TokenBudget = field(default_factory=TokenBudget)
    sampling: Sampling = field(default_factory=Sampling)
    memory: MemorySettings = field(default_factory=MemorySettings)
    lattice: LatticeSettings = field(default_factory=LatticeSettings)
    on_upstream_failure: UpstreamFailurePolicy = UpstreamFailurePolicy.SKIP
    max_tool_rounds: int = 8
    writes: tuple[str, ...] | None = None
    span: SourceSpan | None = field(default=None, compare=False, repr=False)
    description: str = ""
    """What the agent is for; shown in listings and offered to coordinators."""
    approvals: ApprovalSettings = field(default_factory=ApprovalSettings)
    url: str | None = None
    """The remote A2A agent's base URL (`provider: a2a`)."""
    a2a: A2ASettings = field(default_factory=A2ASettings)
    kind: AgentKind = AgentKind.LLM
    wasm: WasmSettings = field(default_factory=WasmSettings)
    """`module:` and `limits:` of a `kind: wasm` agent."""

    @property
    def display_name(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class WorkflowConfig:
    id: str
    agents: tuple[str, ...]
    entry_point: str | None = None
    name: str = ""
    description: str = ""
    max_activations: int | None = None
    """Runtime guard; None means 4 x the number of agents."""
    span: SourceSpan | None = field(default=None, compare=False, repr=False)
    a2a: A2ASettings = field(default_factory=A2ASettings)
    htn_methods_file: Path | None = None
    """Axocoatl's HTN methods for the coordinator that leads this workflow (docs/coordinator.md)."""
    htn_state: tuple[tuple[str, Any], ...] = ()
    """The world state the config sets for the methods' preconditions, in file order."""


@dataclass(frozen=True)
class SkillConfig:
    id: str
    name: str = ""
    description: str = ""
    emits: tuple[str, ...] = ()
    reacts_to: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    prompt: str = ""
    span: SourceSpan | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ScriptedStep:
    """One reply of the scripted provider: text, tool calls, or both."""

    text: str = ""
    tool_calls: tuple[tuple[str, dict[str, Any]], ...] = ()
    usage_prompt: int | None = None
    usage_completion: int | None = None


@dataclass(frozen=True)
class ProviderConfig:
    """A named provider. `kind` defaults to the name when the name is a known kind."""

    name: str
    kind: ProviderKind
    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    model_path: str | None = None
    timeout_secs: float = 120.0
    """Longest wait for the next byte (the first one included): a silent server."""
    deadline_secs: float = 600.0
    """Longest one call may take in all, retries and their waits included: a trickling server."""
    max_reply_chars: int = 500_000
    """Longest reply kept; a longer one is cut there, and the reply says so."""
    max_retries: int = 3
    fallback: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    prices: tuple[tuple[str, float, float], ...] = ()
    """(model, usd per 1M input tokens, usd per 1M output tokens)."""
    script: tuple[ScriptedStep, ...] = ()
    """For `scripted`: replies in order, cycling from the start when exhausted."""
    replies: tuple[tuple[str, tuple[ScriptedStep, ...]], ...] = ()
    """For `scripted`: per-agent scripts (agent id, steps), taking precedence over `script`."""
    context_window: int | None = None
    span: SourceSpan | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ScheduleConfig:
    id: str
    workflow: str
    every: str
    every_secs: float
    input: str = ""
    name: str = ""
    enabled: bool = True
    span: SourceSpan | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ProactiveTrigger:
    type: TriggerType
    every: str | None = None
    every_secs: float | None = None
    event: str | None = None
    cooldown_secs: float = 60.0


@dataclass(frozen=True)
class ProactiveConfig:
    id: str
    agent: str
    trigger: ProactiveTrigger
    input: str = ""
    name: str = ""
    enabled: bool = True
    span: SourceSpan | None = field(default=None, compare=False, repr=False)


class McpTransport(StrEnum):
    STDIO = "stdio"
    HTTP = "http"
    """Streamable HTTP (Axocoatl writes `streamable_http`, accepted as the same)."""


DEFAULT_MCP_START_TIMEOUT_SECS = 30.0
DEFAULT_MCP_CALL_TIMEOUT_SECS = 60.0


@dataclass(frozen=True)
class McpServerConfig:
    """One entry of `mcp_servers:` (Axocoatl's schema: `name`, `transport`, ...)."""

    id: str
    """The server's `name` (`id` is accepted as an older alias)."""
    command: str | None = None
    args: tuple[str, ...] = ()
    url: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    enabled: bool = True
    transport: McpTransport = McpTransport.STDIO
    headers: tuple[tuple[str, str], ...] = ()
    """Sent with every HTTP request (values after `${VAR}` substitution)."""
    start_timeout_secs: float = DEFAULT_MCP_START_TIMEOUT_SECS
    """Spawn (or connect), handshake and first tool list must finish within this."""
    call_timeout_secs: float = DEFAULT_MCP_CALL_TIMEOUT_SECS
    tools: tuple[str, ...] | None = None
    """The server's own tool names (or globs) to take; None takes them all."""
    span: SourceSpan | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.id


@dataclass(frozen=True)
class ConsolidationConfig:
    enabled: bool = True
    idle_threshold_secs: float = 120.0
    interval_secs: float = 1800.0


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    api_keys: tuple[str, ...] = ()
    """Axocoatl's accepted bearer keys (`auth.api_keys`); `token` is axo's own."""
    cors_origins: tuple[str, ...] = ()
    token: str = ""
    """The API's bearer token (usually `${VAR}`); AXO_API_TOKEN is accepted too."""
    declared: bool = False
    """The config has a `server:` section: `axo dev` serves the API too."""


@dataclass(frozen=True)
class ObservabilityConfig:
    """`observability:`: where traces go (docs/observability.md)."""

    otlp_endpoint: str | None = None
    """An OTLP HTTP/protobuf collector's base URL; unset: no span leaves the process."""


@dataclass(frozen=True)
class LatticeDefaults:
    """Project-wide pheromone model parameters (Axocoatl's defaults)."""

    threshold: float = 1.0
    decay: float = 0.1
    """lambda in I(t) = I0 * exp(-lambda * t), per second."""
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    """`backend`, `nats` and `placement`: one process (the default) or a NATS cluster."""


@dataclass(frozen=True)
class DirGrant:
    """A directory a WASM tool may use: `path` on this machine, seen by the module at `guest`."""

    path: str
    guest: str
    writable: bool = False


@dataclass(frozen=True)
class WasmToolConfig:
    """A `tools:` entry with `wasm:`: a WASI command module an agent calls as a tool."""

    name: str
    module: str
    """The module's path (relative to the project)."""
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    dirs: tuple[DirGrant, ...] = ()
    env: tuple[str, ...] = ()
    """Environment variables granted by name; nothing else is visible."""
    sha256: str | None = None
    """A pin in the config; without it `axo tools approve NAME` records one."""
    fuel: int = 1_000_000_000
    memory_mb: int = 64
    timeout_ms: int = 5_000
    max_output_chars: int = 20_000


@dataclass(frozen=True)
class Config:
    """A whole, validated project configuration."""

    path: Path
    agents: tuple[AgentConfig, ...] = ()
    workflows: tuple[WorkflowConfig, ...] = ()
    skills: tuple[SkillConfig, ...] = ()
    providers: tuple[ProviderConfig, ...] = ()
    mcp_servers: tuple[McpServerConfig, ...] = ()
    tools: tuple[WasmToolConfig, ...] = ()
    """The project's own tools (`tools:`): WASM tools."""
    schedules: tuple[ScheduleConfig, ...] = ()
    proactive: tuple[ProactiveConfig, ...] = ()
    consolidation: ConsolidationConfig = field(default_factory=ConsolidationConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    lattice: LatticeDefaults = field(default_factory=LatticeDefaults)
    approvals: ApprovalSettings = field(default_factory=ApprovalSettings)
    observability: ObservabilityConfig = field(default_factory=ObservabilityConfig)
    data_dir: Path | None = None
    """Where `.axo/` state lives; None means `<config dir>/.axo`."""
    name: str = ""
    warnings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)
    """Non-fatal problems found while loading (e.g. an unset `${VAR}` in an `api_key`)."""

    @property
    def project_dir(self) -> Path:
        return self.path.parent

    @property
    def state_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else self.project_dir / ".axo"

    @functools.cached_property
    def _agents_by_id(self) -> dict[str, AgentConfig]:
        # Built at first use (the config is frozen): a workflow run looks up each of its
        # agents, and a scan per lookup made planning a wide workflow quadratic.
        found: dict[str, AgentConfig] = {}
        for agent in self.agents:
            found.setdefault(agent.id, agent)  # the first wins, as the scan did
        return found

    def agent(self, agent_id: str) -> AgentConfig:
        return self._agents_by_id[agent_id]

    def workflow(self, workflow_id: str) -> WorkflowConfig:
        for workflow in self.workflows:
            if workflow.id == workflow_id:
                return workflow
        raise KeyError(workflow_id)

    def skill(self, skill_id: str) -> SkillConfig:
        for skill in self.skills:
            if skill.id == skill_id:
                return skill
        raise KeyError(skill_id)

    def provider(self, name: str) -> ProviderConfig:
        for provider in self.providers:
            if provider.name == name:
                return provider
        raise KeyError(name)
