"""The tool names an agent's `tools:` may list, checked when the config loads.

An unknown name is an error with a did-you-mean: otherwise it would validate and do nothing at
run time (the agent would simply never get the tool). The config layer sits below the tool
registry, so the built-in names are listed here; a test keeps them equal to the registry's.
"""

from __future__ import annotations

from collections.abc import Sequence

from axo_tui.core.config.checker import Checker
from axo_tui.core.config.schema import MEMORY_TOOL_NAMES
from axo_tui.core.config.suggest import did_you_mean, join_hints, one_of
from axo_tui.core.config.yaml_nodes import Scalar

BUILTIN_TOOL_NAMES = (
    "calculator",
    "current_time",
    "edit_file",
    "emit_event",
    "list_dir",
    "read_file",
    "shell",
    "write_file",
)
"""The tools of `axo_tui.core.tools.builtins.BUILTIN_TOOLS`, by name."""

KNOWN_TOOL_NAMES = (*BUILTIN_TOOL_NAMES, *MEMORY_TOOL_NAMES)

AXOCOATL_ONLY_TOOL_NAMES = ("bash", "glob", "grep")
"""Axocoatl's own tools that axo does not provide: listing one is a warning, not an error,
so Axocoatl configs still load (the agent runs without that tool)."""

MCP_PREFIX = "mcp__"
"""`mcp__<server>__<tool>`: the server is checked against `mcp_servers:` when the config
loads, the tool against the server's real tool list when it starts."""
GLOB_CHARACTERS = frozenset("*?[")


def mcp_server_of(name: str) -> str | None:
    """The `<server>` of `mcp__<server>__<tool>` (or of a glob such as `mcp__fs__*`); None
    when the name is no MCP tool name or its server part is itself a glob."""
    if not name.startswith(MCP_PREFIX):
        return None
    server, _, _ = name[len(MCP_PREFIX) :].partition("__")
    if not server or GLOB_CHARACTERS & set(server):
        return None
    return server


def check_tool_names(checker: Checker, agent_id: str, tools: Sequence[tuple[str, Scalar]]) -> None:
    """Report each name in one agent's `tools:` that no tool answers to."""
    for name, node in tools:
        if name in KNOWN_TOOL_NAMES or name in checker.extra_tools or name.startswith(MCP_PREFIX):
            continue
        if name in AXOCOATL_ONLY_TOOL_NAMES:
            checker.warn(
                node,
                "unavailable-tool",
                f"tool `{name}` in `tools` of agent `{agent_id}` is an Axocoatl tool that axo "
                "does not provide: the agent runs without it",
                f"remove `{name}`, or use one of {one_of(KNOWN_TOOL_NAMES)}",
            )
            continue
        checker.error(
            node,
            "unknown-tool",
            f"`tools` of agent `{agent_id}` names `{name}`, which is not a tool",
            join_hints(
                did_you_mean(name, KNOWN_TOOL_NAMES),
                f"the tools are {one_of(KNOWN_TOOL_NAMES)}; MCP tools are named "
                "`mcp__<server>__<tool>`",
            ),
        )
