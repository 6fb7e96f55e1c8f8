"""Which tool calls wait for a human, how long, and what an approval is bound to.

The config decides per agent and per tool (`approvals: {tools: {shell: always, "read_*":
never}}`, at the top level and per agent): the agent's entries first, then the top level's;
within each, an exact name before globs, and globs in file order. With no entry, a tool that
acts (`Tool.needs_approval`: write_file, edit_file, shell) needs approval and others do not.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from typing import Any

from axo_tui.core.config.schema import (
    DEFAULT_APPROVAL_TIMEOUT_SECS,
    AgentConfig,
    ApprovalMode,
    ApprovalSettings,
)


def canonical_arguments(arguments: Any) -> str:
    """The one JSON spelling of `arguments`: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def args_hash(arguments: Any) -> str:
    """What an approval is bound to: the SHA-256 of the canonical arguments. A decision
    for other arguments does not apply to these."""
    return hashlib.sha256(
        canonical_arguments(arguments).encode("utf-8", "surrogatepass")
    ).hexdigest()


def configured_mode(tool: str, settings: ApprovalSettings) -> ApprovalMode | None:
    for pattern, mode in settings.tools:
        if pattern == tool:
            return mode
    for pattern, mode in settings.tools:
        if fnmatch.fnmatchcase(tool, pattern):
            return mode
    return None


def needs_approval(tool: str, acts: bool, agent: AgentConfig, project: ApprovalSettings) -> bool:
    """Whether a call of `tool` by `agent` waits for a human (`acts`: the tool's default)."""
    mode = configured_mode(tool, agent.approvals) or configured_mode(tool, project)
    if mode is None:
        return acts
    return mode is ApprovalMode.ALWAYS


def approval_timeout(agent: AgentConfig, project: ApprovalSettings) -> float:
    """Seconds a call waits for an answer before it is denied (fails closed)."""
    for value in (agent.approvals.timeout_secs, project.timeout_secs):
        if value is not None:
            return value
    return DEFAULT_APPROVAL_TIMEOUT_SECS
