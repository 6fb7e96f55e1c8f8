"""Runs and memory as read-only MCP resources, each the `to_dict()` of a public query (the
same JSON as `axo runs list --json`, `axo runs show --json`, `axo memory show --json`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from axo_tui.core.runtime.runtime import Runtime

RUNS_URI = "axo://runs"
RUN_TEMPLATE = "axo://runs/{run_id}"
MEMORY_TEMPLATE = "axo://agents/{agent_id}/memory"
RUNS_LISTED = 100
"""How many of the newest runs `axo://runs` holds."""

_RUN = re.compile(r"axo://runs/(?P<run_id>[^/?#]+)")
_MEMORY = re.compile(r"axo://agents/(?P<agent_id>[^/?#]+)/memory")


class ResourceNotFound(LookupError):
    """No such resource: the message names the URI and what exists."""


@dataclass(frozen=True)
class Listed:
    uri: str
    name: str
    title: str
    description: str


def listed(runtime: Runtime) -> list[Listed]:
    """The concrete resources: the run list and each agent's memory (a run is reached by
    the `axo://runs/{run_id}` template)."""
    found = [Listed(RUNS_URI, "runs", "Runs", f"The {RUNS_LISTED} newest runs, newest first")]
    found += [
        Listed(
            MEMORY_TEMPLATE.format(agent_id=agent.id),
            f"memory-{agent.id}",
            f"Memory of {agent.display_name}",
            "Core blocks, recall counts, activity days and sessions of the agent",
        )
        for agent in runtime.config.agents
    ]
    return found


def read(runtime: Runtime, uri: str) -> Any:
    """The JSON value behind `uri`, or ResourceNotFound."""
    state = runtime.state
    if uri == RUNS_URI:
        return [run.to_dict() for run in state.runs(limit=RUNS_LISTED)]
    match = _RUN.fullmatch(uri)
    if match is not None:
        detail = state.run(match["run_id"])
        if detail is None:
            raise ResourceNotFound(f"no run '{match['run_id']}' ({uri}); {RUNS_URI} lists them")
        return detail.to_dict()
    match = _MEMORY.fullmatch(uri)
    if match is not None:
        agents = {agent.id: agent for agent in runtime.config.agents}
        agent = agents.get(match["agent_id"])
        if agent is None:
            known = ", ".join(agents) or "none"
            raise ResourceNotFound(f"no agent '{match['agent_id']}' ({uri}); agents: {known}")
        return state.memory_of(agent).to_dict()
    raise ResourceNotFound(
        f"no resource {uri}: axo serves {RUNS_URI}, {RUN_TEMPLATE} and {MEMORY_TEMPLATE}"
    )
