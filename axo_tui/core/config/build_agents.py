"""Agents, workflows and skills: YAML sections to typed schema objects."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from axo_tui.core.config import keys
from axo_tui.core.config.build_approvals import build_approvals
from axo_tui.core.config.checker import Checker
from axo_tui.core.config.fields import MAX_ID_LENGTH, Section
from axo_tui.core.config.htn_check import check_methods_file
from axo_tui.core.config.registry import Reference, Registry
from axo_tui.core.config.schema import (
    A2A_PROVIDER,
    DEFAULT_CORE_BLOCKS,
    MEMORY_TOOL_NAMES,
    A2ASettings,
    AgentConfig,
    AgentKind,
    CompactionSettings,
    CoreBlockSpec,
    LatticeSettings,
    MemorySettings,
    OverflowPolicy,
    RecallSettings,
    Role,
    Sampling,
    SkillConfig,
    SourceSpan,
    TokenBudget,
    UpstreamFailurePolicy,
    WasmSettings,
    WorkflowConfig,
)
from axo_tui.core.config.suggest import did_you_mean, join_hints, one_of
from axo_tui.core.config.tool_names import check_tool_names, mcp_server_of
from axo_tui.core.config.yaml_nodes import Map, Node, Scalar, Seq

LABEL_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
MAX_BLOCK_LIMIT = 100_000
MAX_TOOL_ROUNDS = 64


def span(checker: Checker, node: Node) -> SourceSpan:
    return SourceSpan(checker.file, node.line, node.column)


def build_agent(checker: Checker, registry: Registry, node: Map) -> AgentConfig | None:
    section = Section(checker, node, keys.AGENT, "agent")
    agent_id = section.ident()
    owner = ("agent", agent_id or "")
    provider = section.text("provider", "local")
    # The default provider is referenced too: it becomes an implicit `local` provider.
    provider_node = section.value_node("provider") or node
    url = _remote_url(section, provider)
    if provider != A2A_PROVIDER:  # `a2a` is no provider to declare: the agent is remote
        registry.refer(Reference("provider", provider, provider_node, *owner, "provider"))
    depends = section.named_nodes("depends_on") or []
    for name, item in depends:
        registry.refer(Reference("agent", name, item, *owner, "depends_on"))
    tools = section.named_nodes("tools")
    check_tool_names(checker, agent_id or "", tools or [])
    for name, item in tools or []:
        server = mcp_server_of(name)
        if server is not None:  # `mcp__<server>__...` names a server of `mcp_servers:`
            registry.refer(Reference("MCP server", server, item, *owner, "tools"))
    config = AgentConfig(
        id=agent_id or "",
        name=section.text("name"),
        description=section.text("description"),
        provider=provider,
        model=section.text("model"),
        role=section.choice("role", Role, Role.AUTONOMOUS) or Role.AUTONOMOUS,
        system_prompt=section.text("system_prompt"),
        depends_on=tuple(name for name, _ in depends),
        tools=None if tools is None else tuple(name for name, _ in tools),
        token_budget=_token_budget(section),
        sampling=_sampling(section),
        memory=_memory(section),
        lattice=_agent_lattice(section),
        on_upstream_failure=section.choice(
            "on_upstream_failure", UpstreamFailurePolicy, UpstreamFailurePolicy.SKIP
        )
        or UpstreamFailurePolicy.SKIP,
        max_tool_rounds=section.integer("max_tool_rounds", 8, lo=1, hi=MAX_TOOL_ROUNDS),
        writes=section.names("writes"),
        approvals=build_approvals(section),
        span=span(checker, node),
        url=url,
        a2a=_a2a(section, keys.A2A),
        kind=section.choice("kind", AgentKind, AgentKind.LLM) or AgentKind.LLM,
        wasm=_wasm(section),
    )
    if agent_id is None:
        return None
    if not registry.declare(checker, "agent", agent_id, section.value_node("id") or node):
        return None
    return config


def _wasm(agent: Section) -> WasmSettings:
    """`module:` and `limits:` of an agent: required with `kind: wasm`, refused without it."""
    module = agent.opt_text("module")
    limits = agent.section("limits", keys.WASM_LIMITS)
    is_wasm = agent.opt_text("kind") == AgentKind.WASM.value
    if is_wasm and module is None:
        agent.missing("module", "a WASM agent runs a module: `module: agents/ping.wasm`")
    elif not is_wasm and (module is not None or limits is not None):
        key = "module" if module is not None else "limits"
        agent.check(
            False,
            key,
            "conflicting-keys",
            f"{agent.what} has `{key}` but is not `kind: wasm`",
            "write `kind: wasm` to run a WebAssembly module, or remove it",
        )
    defaults = WasmSettings()
    if limits is None:
        return WasmSettings(module=module or "")
    return WasmSettings(
        module=module or "",
        fuel=limits.integer("fuel", defaults.fuel, lo=1),
        memory_mb=limits.integer("memory_mb", defaults.memory_mb, lo=1, hi=4096),
        timeout_ms=limits.integer("timeout_ms", defaults.timeout_ms, lo=1, hi=3_600_000),
    )


def _remote_url(agent: Section, provider: str) -> str | None:
    """An agent's `url`: required with `provider: a2a`, meaningless without it."""
    url = agent.opt_text("url")
    if provider == A2A_PROVIDER and url is None:
        agent.missing("url", "a remote A2A agent needs the peer's base URL: `url: http://host/...`")
    elif provider != A2A_PROVIDER and url is not None:
        agent.check(
            False,
            "url",
            "conflicting-keys",
            f"{agent.what} has a `url` but `provider: {provider}`",
            "write `provider: a2a` to make it a remote A2A agent, or remove `url`",
        )
    elif url is not None:
        parts = urlsplit(url)
        agent.check(
            parts.scheme in ("http", "https") and bool(parts.netloc),
            "url",
            "invalid-url",
            f"`url` of {agent.what} must be an http(s) URL, found `{url}`",
            "write the peer's base URL, e.g. `http://127.0.0.1:8080/a2a/helper`",
        )
    return url


def _a2a(owner: Section, allowed: tuple[str, ...]) -> A2ASettings:
    """`a2a:` of an agent (`keys.A2A`) or a workflow (`keys.WORKFLOW_A2A`: `expose` only)."""
    a2a = owner.section("a2a", allowed)
    if a2a is None:
        return A2ASettings()
    if allowed is keys.WORKFLOW_A2A:
        return A2ASettings(expose=a2a.boolean("expose", False))
    return A2ASettings(
        expose=a2a.boolean("expose", False),
        multi_turn=a2a.boolean("multi_turn", False),
        headers=a2a.text_map("headers"),
        timeout_secs=a2a.number("timeout_secs", 120.0, lo=0, lo_open=True),
        deadline_secs=a2a.number("deadline_secs", 600.0, lo=0, lo_open=True),
        max_retries=a2a.integer("max_retries", 2, lo=0, hi=10),
    )


def _token_budget(agent: Section) -> TokenBudget:
    budget = agent.section("token_budget", keys.TOKEN_BUDGET)
    if budget is None:
        return TokenBudget()
    per_call = budget.opt_integer("per_call", lo=1)
    per_execution = budget.opt_integer("per_execution", lo=1)
    if per_call is not None and per_execution is not None and per_call > per_execution:
        budget.check(
            False,
            "per_call",
            "budget-order",
            f"`per_call` ({per_call}) is larger than `per_execution` ({per_execution}) "
            f"in {agent.what}",
            "one call is part of one execution: lower `per_call` or raise `per_execution`",
        )
    policy = budget.choice("overflow_policy", OverflowPolicy, OverflowPolicy.ABORT)
    return TokenBudget(per_call, per_execution, policy or OverflowPolicy.ABORT)


def _sampling(agent: Section) -> Sampling:
    sampling = agent.section("sampling", keys.SAMPLING)
    if sampling is None:
        return Sampling()
    return Sampling(
        max_tokens=sampling.opt_integer("max_tokens", lo=1),
        temperature=sampling.opt_number("temperature", lo=0, hi=2),
        top_p=sampling.opt_number("top_p", lo=0, hi=1),
    )


def _memory(agent: Section) -> MemorySettings:
    memory = agent.section("memory", keys.MEMORY)
    if memory is None:
        return MemorySettings()
    blocks = DEFAULT_CORE_BLOCKS
    core = memory.section("core", keys.MEMORY_CORE)
    if core is not None and core.has("blocks"):
        blocks = _core_blocks(core)
    recall = RecallSettings()
    recall_section = memory.section("recall", keys.RECALL)
    if recall_section is not None:
        recall = RecallSettings(
            passive_inject=recall_section.boolean("passive_inject", True),
            top_k=recall_section.integer("top_k", 5, lo=1, hi=100),
            min_score=recall_section.number("min_score", 0.15, lo=0, hi=1),
            share=recall_section.boolean("share", False),
        )
    compaction = CompactionSettings()
    compaction_section = memory.section("compaction", keys.MEMORY_COMPACTION)
    if compaction_section is not None:
        compaction = CompactionSettings(summarise=compaction_section.boolean("summarise", True))
    return MemorySettings(
        core_blocks=blocks, recall=recall, tools=_memory_tools(memory), compaction=compaction
    )


def _memory_tools(memory: Section) -> tuple[str, ...] | None:
    """`tools: true` (all, the default), `false` (none) or a list of memory tool names."""
    node = memory.value_node("tools")
    if node is None:
        return None
    expected = "true, false or a list of memory tool names"
    hint = f"for example `tools: [recall_search]`; the memory tools are {one_of(MEMORY_TOOL_NAMES)}"
    if isinstance(node, Scalar):
        value, _ = memory.checker.expand(node, "tools")
        if isinstance(value, bool):
            return None if value else ()
        memory.wrong_type("tools", node, expected, hint, value)
        return None
    if not isinstance(node, Seq):
        memory.wrong_type("tools", node, expected, hint)
        return None
    chosen: list[str] = []
    for name, item in memory.named_nodes("tools") or []:
        if name not in MEMORY_TOOL_NAMES:
            memory.checker.error(
                item,
                "invalid-choice",
                f"`{name}` in `tools` of {memory.what} is not a memory tool",
                join_hints(
                    did_you_mean(name, MEMORY_TOOL_NAMES),
                    f"the memory tools are {one_of(MEMORY_TOOL_NAMES)}; other tools go in "
                    "the agent's own `tools:`",
                ),
            )
        elif name not in chosen:
            chosen.append(name)
    return tuple(chosen)


def _core_blocks(core: Section) -> tuple[CoreBlockSpec, ...]:
    """Declared blocks replace the defaults (persona, human, project) entirely."""
    blocks: list[CoreBlockSpec] = []
    seen: dict[str, Node] = {}
    checker = core.checker
    for item in core.items("blocks", item_name="block"):
        if not isinstance(item, Map):
            core.wrong_type(
                "blocks", item, "a list of mappings", "start each block with `- label: ...`"
            )
            continue
        block = Section(checker, item, keys.CORE_BLOCK, "core memory block")
        label = block.opt_text("label", required=True)
        label_node = block.value_node("label") or item
        limit = block.integer("limit", 2000, lo=1, hi=MAX_BLOCK_LIMIT)
        value = block.text("value")
        if label is None:
            continue
        if len(label) > MAX_ID_LENGTH:
            # A label is shown in every prompt and names the block in tool calls.
            checker.error(
                label_node,
                "invalid-label",
                f"core memory block label `{label[:24]}...` is {len(label)} characters long "
                f"(at most {MAX_ID_LENGTH})",
                "use a short lowercase name such as `persona` or `project_notes`",
            )
            continue
        if not LABEL_PATTERN.fullmatch(label):
            checker.error(
                label_node,
                "invalid-label",
                f"core memory block label `{label}` is not valid",
                "labels are lowercase: a letter, then letters, digits or `_` (e.g. `persona`)",
            )
        if label in seen:
            checker.error(
                label_node,
                "duplicate-label",
                f"core memory block `{label}` is declared twice (first at line {seen[label].line})",
                "give each block a unique label",
            )
            continue
        seen[label] = label_node
        if len(value) > limit:
            block.check(
                False,
                "value",
                "out-of-range",
                f"the initial value of block `{label}` has {len(value)} characters, "
                f"more than its limit of {limit}",
                "shorten the value or raise `limit`",
            )
        blocks.append(
            CoreBlockSpec(
                label=label,
                limit=limit,
                description=block.text("description"),
                shared=block.boolean("shared", False),
                value=value,
            )
        )
    return tuple(blocks)


def _agent_lattice(agent: Section) -> LatticeSettings:
    lattice = agent.section("lattice", keys.LATTICE)
    if lattice is None:
        return LatticeSettings()
    return LatticeSettings(
        threshold=lattice.opt_number("threshold", lo=0, lo_open=True),
        decay=lattice.opt_number("decay", lo=0),
    )


def build_workflow(checker: Checker, registry: Registry, node: Map) -> WorkflowConfig | None:
    section = Section(checker, node, keys.WORKFLOW, "workflow")
    workflow_id = section.ident()
    owner = ("workflow", workflow_id or "")
    agents = section.named_nodes("agents")
    if agents is None:
        section.missing("agents", "list the agents this workflow runs: `agents: [a, b]`")
        agents = []
    elif not agents and isinstance(section.value_node("agents"), Seq):
        section.check(
            False,
            "agents",
            "empty-workflow",
            f"{section.what} has no agents",
            "list the agents this workflow runs: `agents: [a, b]`",
        )
    seen: set[str] = set()
    for name, item in agents:
        if name in seen:
            checker.error(
                item,
                "duplicate-id",
                f"agent `{name}` is listed twice in {section.what}",
                "list each agent once",
            )
        seen.add(name)
        registry.refer(Reference("agent", name, item, *owner, "agents"))
    entry_point = section.opt_text("entry_point")
    if entry_point is not None:
        entry_node = section.value_node("entry_point") or node
        registry.refer(Reference("agent", entry_point, entry_node, *owner, "entry_point"))
    config = WorkflowConfig(
        id=workflow_id or "",
        agents=tuple(name for name, _ in agents),
        entry_point=entry_point,
        name=section.text("name"),
        description=section.text("description"),
        max_activations=section.opt_integer("max_activations", lo=1),
        span=span(checker, node),
        a2a=_a2a(section, keys.WORKFLOW_A2A),
        htn_methods_file=check_methods_file(checker, section),
        htn_state=_htn_state(section),
    )
    if workflow_id is None:
        return None
    if not registry.declare(checker, "workflow", workflow_id, section.value_node("id") or node):
        return None
    return config


def build_skill(checker: Checker, registry: Registry, node: Map) -> SkillConfig | None:
    section = Section(checker, node, keys.SKILL, "skill")
    skill_id = section.ident()
    agents = section.named_nodes("agents") or []
    for name, item in agents:
        registry.refer(Reference("agent", name, item, "skill", skill_id or "", "agents"))
    config = SkillConfig(
        id=skill_id or "",
        name=section.text("name"),
        description=section.text("description"),
        emits=section.names("emits") or (),
        reacts_to=section.names("reacts_to") or (),
        agents=tuple(name for name, _ in agents),
        prompt=section.text("prompt"),
        span=span(checker, node),
    )
    if skill_id is None:
        return None
    if not registry.declare(checker, "skill", skill_id, section.value_node("id") or node):
        return None
    return config


def _htn_state(workflow: Section) -> tuple[tuple[str, Any], ...]:
    """`htn_state:`: the world state the config sets for HTN preconditions (key: value)."""
    node = workflow.value_node("htn_state")
    if node is None:
        return ()
    if not isinstance(node, Map):
        workflow.wrong_type("htn_state", node, "a mapping of keys to values")
        return ()
    return tuple((key.text, workflow.checker.to_python(value)) for key, value in node.entries)
