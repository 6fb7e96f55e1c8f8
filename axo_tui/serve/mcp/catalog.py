"""Which MCP tools the project offers, read from the config at each call (a reloaded config
shows at once): `agent_<id>` and `workflow_<id>`, each taking Axocoatl's `{input}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from axo_tui.core.config.schema import Config

AGENT_PREFIX = "agent_"
WORKFLOW_PREFIX = "workflow_"

INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "input": {"type": "string", "description": "What to ask: the run's input text."}
    },
    "required": ["input"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class ToolTarget:
    """What a tool name runs: one turn of an agent, or a workflow to its end."""

    kind: Literal["agent", "workflow"]
    id: str
    title: str
    description: str

    @property
    def name(self) -> str:
        return (AGENT_PREFIX if self.kind == "agent" else WORKFLOW_PREFIX) + self.id


def targets(config: Config) -> list[ToolTarget]:
    found = [
        ToolTarget(
            "agent",
            agent.id,
            agent.display_name,
            agent.description or f"One turn of the axo agent '{agent.display_name}'.",
        )
        for agent in config.agents
    ]
    found += [
        ToolTarget(
            "workflow",
            workflow.id,
            workflow.name or workflow.id,
            workflow.description
            or f"Run the axo workflow '{workflow.name or workflow.id}' "
            f"({' → '.join(workflow.agents)}) to its end.",
        )
        for workflow in config.workflows
    ]
    return found


def find(config: Config, name: str) -> ToolTarget | None:
    for target in targets(config):
        if target.name == name:
            return target
    return None


def read_input(arguments: dict[str, Any] | None) -> str:
    """The `input` argument, or ValueError saying what is wrong with the arguments."""
    arguments = arguments or {}
    unknown = sorted(set(arguments) - {"input"})
    if unknown:
        raise ValueError(f"unknown argument(s) {', '.join(unknown)}: the tool takes only `input`")
    value = arguments.get("input")
    if not isinstance(value, str):
        got = "nothing" if value is None else type(value).__name__
        raise ValueError(f"`input` must be a string (got {got})")
    return value
