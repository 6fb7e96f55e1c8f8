"""Named signals of the ambient lattice: their weights and the event kinds that alias them.

Vocabulary shared by the config checks (a threshold no signal can reach) and the runtime's
pheromone field, so it lives below both.
"""

from __future__ import annotations

from collections.abc import Mapping

# Axocoatl's event weights. Named events that are not in this table (a skill's custom
# `emits`) weigh as much as a new task.
SIGNAL_WEIGHTS: Mapping[str, float] = {
    "TaskAvailable": 1.0,
    "UserInput": 1.0,
    "AgentFailed": 0.8,
    "TaskCompleted": 0.5,
    "ToolResult": 0.3,
    "AgentActivated": 0.1,
    "WorkflowCompleted": 0.1,
}
DEFAULT_CUSTOM_WEIGHT = 1.0

# The runtime's event kinds, as people read them in `axo events`, name the same signals.
SIGNAL_ALIASES: Mapping[str, str] = {
    "agent.failed": "AgentFailed",
    "agent.completed": "TaskCompleted",
    "agent.activated": "AgentActivated",
    "run.completed": "WorkflowCompleted",
    "workflow.completed": "WorkflowCompleted",
}


def canonical_signal(name: str) -> str:
    return SIGNAL_ALIASES.get(name, name)


def signal_weight(name: str) -> float:
    return SIGNAL_WEIGHTS.get(canonical_signal(name), DEFAULT_CUSTOM_WEIGHT)
