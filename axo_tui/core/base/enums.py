"""The words axo writes for states: run and activation statuses, agent states, error kinds.

They are `StrEnum`s, so each member is the very string the journal stores and `--json`
prints (`RunStatus.COMPLETED == "completed"`); docs/cli.md lists them for users.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """Where a run stands (the journal's `runs.status`, a run result's `status`)."""

    RUNNING = "running"
    """Going, or cut short by a crash (the next start resumes it)."""
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    """Stopped by the user; never resumed."""
    INTERRUPTED = "interrupted"
    """Stopped with Ctrl+C; resumed only when asked."""


class ActivationStatus(StrEnum):
    """Where one activation stands (the journal's `activations.status`)."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    """Its run was cancelled."""
    INTERRUPTED = "interrupted"
    """The process stopped during it; a resumed run starts it again as a new activation."""


class AgentState(StrEnum):
    """What an agent of a live runtime is doing (`Runtime.status`)."""

    IDLE = "idle"
    WAITING = "waiting"
    """In a workflow run, waiting for its dependencies to finish."""
    RUNNING = "running"
    FAILED = "failed"
    """Its last activation failed."""
    DEGRADED = "degraded"
    """Its circuit is open after repeated failures (`axo agents restart` closes it)."""


class ErrorKind(StrEnum):
    """Why an activation failed (`agent.failed`'s `error_kind`)."""

    ERROR = "error"
    """Not classified."""
    CANCELLED = "cancelled"
    CIRCUIT_OPEN = "circuit_open"
    BUDGET = "budget"
    PROVIDER = "provider"
    TOOL_LOOP = "tool_loop"
    JOURNAL = "journal"
    INTERNAL = "internal"
    """A bug: an exception no other kind covers."""
