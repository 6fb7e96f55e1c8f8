"""`approvals:` (top level and per agent): which tool calls wait for a human."""

from __future__ import annotations

from axo_tui.core.config import keys
from axo_tui.core.config.fields import Section
from axo_tui.core.config.schema import ApprovalMode, ApprovalSettings
from axo_tui.core.config.suggest import did_you_mean, join_hints, one_of
from axo_tui.core.config.tool_names import KNOWN_TOOL_NAMES, MCP_PREFIX
from axo_tui.core.config.yaml_nodes import Map, Scalar, kind_name

MAX_APPROVAL_TIMEOUT_SECS = 7 * 24 * 3600.0
GLOB_CHARACTERS = frozenset("*?[")


def build_approvals(parent: Section, what: str = "") -> ApprovalSettings:
    """The `approvals` mapping under `parent` (defaults when absent)."""
    section = parent.section("approvals", keys.APPROVALS, what)
    if section is None:
        return ApprovalSettings()
    timeout = section.opt_number("timeout_secs", lo=1, hi=MAX_APPROVAL_TIMEOUT_SECS)
    return ApprovalSettings(timeout_secs=timeout, tools=_tool_modes(section))


def _tool_modes(section: Section) -> tuple[tuple[str, ApprovalMode], ...]:
    node = section.value_node("tools")
    if node is None:
        return ()
    if not isinstance(node, Map):
        section.wrong_type(
            "tools",
            node,
            "a mapping of tool names (or globs) to `always` or `never`",
            'write `tools: {shell: always, "read_*": never}`',
        )
        return ()
    checker = section.checker
    allowed = [mode.value for mode in ApprovalMode]
    modes: list[tuple[str, ApprovalMode]] = []
    for name_node, value in node.entries:
        name = name_node.text
        if not name:
            checker.error(name_node, "wrong-type", "a tool name under `approvals.tools` is empty")
            continue
        if not _names_a_tool(name, checker.extra_tools):
            checker.error(
                name_node,
                "unknown-tool",
                f"`tools` in {section.what} names `{name}`, which is not a tool",
                join_hints(
                    did_you_mean(name, KNOWN_TOOL_NAMES),
                    f"the tools are {one_of(KNOWN_TOOL_NAMES)}; globs such as `read_*` work too",
                ),
            )
            continue
        text = value.text if isinstance(value, Scalar) and value.value is not None else None
        if text not in allowed:
            found = f"`{text}`" if text is not None else kind_name(value)
            checker.error(
                value,
                "invalid-choice",
                f"`{name}` under `tools` in {section.what} must be "
                f"`always` or `never`, found {found}",
                f"use one of {one_of(allowed)}",
            )
            continue
        modes.append((name, ApprovalMode(text)))
    return tuple(modes)


def _names_a_tool(name: str, extra: frozenset[str]) -> bool:
    if GLOB_CHARACTERS & set(name):
        return True  # a glob may cover tools registered later (MCP, WASM)
    return name in KNOWN_TOOL_NAMES or name in extra or name.startswith(MCP_PREFIX)
