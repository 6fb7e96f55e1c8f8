"""The top level of a config: every section built, then the whole-config checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from axo_tui.core.config import keys
from axo_tui.core.config.build_agents import build_agent, build_skill, build_workflow
from axo_tui.core.config.build_approvals import build_approvals
from axo_tui.core.config.build_nats import build_cluster
from axo_tui.core.config.build_providers import build_providers, resolve_path
from axo_tui.core.config.build_services import (
    build_consolidation,
    build_lattice,
    build_mcp_server,
    build_observability,
    build_proactive,
    build_schedule,
    build_server,
)
from axo_tui.core.config.build_tools import build_wasm_tool
from axo_tui.core.config.checker import Checker
from axo_tui.core.config.fields import Section, each_map
from axo_tui.core.config.registry import Registry
from axo_tui.core.config.schema import Config, ProviderConfig
from axo_tui.core.config.validate import (
    check_dependency_cycles,
    check_fallbacks,
    check_references,
    check_roles,
    check_trigger_weights,
    check_workflows,
    implicit_providers,
)
from axo_tui.core.config.yaml_nodes import Map

T = TypeVar("T")


def build_config(checker: Checker, root: Map, path: Path) -> Config:
    """A `Config` from the root mapping; problems go to `checker` (the result is only
    trustworthy when none of them is an error)."""
    project_dir = path.parent
    registry = Registry()
    checker.root = root
    top = Section(checker, root, keys.TOP_LEVEL, "the top level")

    def collect(
        key: str, what: str, build: Callable[[Checker, Registry, Map], T | None]
    ) -> list[T]:
        built: list[T] = []

        def one(node: Map) -> None:
            item = build(checker, registry, node)
            if item is not None:
                built.append(item)

        each_map(checker, top.items(key, item_name=what), what, one)
        return built

    # The project's own tools first: the agents' `tools:` may name them.
    wasm_tools = collect("tools", "tool", build_wasm_tool)
    checker.extra_tools = checker.extra_tools | {tool.name for tool in wasm_tools}
    agents = collect("agents", "agent", build_agent)
    workflows = collect("workflows", "workflow", build_workflow)
    skills = collect("skills", "skill", build_skill)
    schedules = collect("schedules", "schedule", build_schedule)
    proactive = collect("proactive", "proactive agent", build_proactive)
    mcp_servers = collect("mcp_servers", "MCP server", build_mcp_server)
    providers_node = top.value_node("providers")
    providers: list[ProviderConfig] = []
    if providers_node is not None:
        providers = build_providers(checker, registry, providers_node, project_dir)

    implicit = check_references(checker, registry)
    providers += implicit_providers(implicit, providers)
    check_dependency_cycles(checker, agents, registry)
    check_workflows(checker, workflows, agents, registry)
    check_roles(checker, agents, registry)
    check_fallbacks(checker, providers, registry)

    lattice_section = top.section("lattice", keys.PROJECT_LATTICE)
    lattice = build_lattice(
        lattice_section, cluster=build_cluster(lattice_section, project_dir, agents)
    )
    check_trigger_weights(checker, agents, proactive, lattice)

    data_dir = top.opt_text("data_dir")
    return Config(
        path=path,
        agents=tuple(agents),
        workflows=tuple(workflows),
        skills=tuple(skills),
        providers=tuple(providers),
        mcp_servers=tuple(mcp_servers),
        tools=tuple(wasm_tools),
        schedules=tuple(schedules),
        proactive=tuple(proactive),
        consolidation=build_consolidation(top.section("consolidation", keys.CONSOLIDATION)),
        server=build_server(top.section("server", keys.SERVER)),
        lattice=lattice,
        approvals=build_approvals(top, "`approvals`"),
        observability=build_observability(top.section("observability", keys.OBSERVABILITY)),
        data_dir=resolve_path(data_dir, project_dir) if data_dir else None,
        name=top.text("name"),
        # `sandbox` (Axocoatl's shell sandbox settings) is accepted and deliberately unread.
    )
