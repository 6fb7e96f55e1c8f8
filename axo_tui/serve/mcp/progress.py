"""A run's events, told as MCP progress messages: who started, what they say (tokens,
merged), which tool they call, what waits for approval or is over budget, who finished."""

from __future__ import annotations

from collections.abc import Sequence

from axo_tui.core.events.catalog import (
    AgentActivated,
    AgentCompleted,
    AgentFailed,
    AgentSkipped,
    ApprovalDecided,
    ApprovalRequested,
    BudgetExceeded,
    Event,
    TokenStreamed,
    ToolCalled,
    ToolResult,
)

KINDS = frozenset(
    cls.kind
    for cls in (
        AgentActivated,
        AgentCompleted,
        AgentFailed,
        AgentSkipped,
        ApprovalDecided,
        ApprovalRequested,
        BudgetExceeded,
        TokenStreamed,
        ToolCalled,
        ToolResult,
    )
) | {"run.completed"}
"""The event kinds a tool call follows (run.completed ends the following)."""
SNIPPET = 200
"""Characters of a tool result or an output shown in a progress message."""


def messages(events: Sequence[Event]) -> list[str]:
    """One message per event; consecutive tokens of one agent merge into one message, so a
    client that falls behind a fast model gets fewer, longer notifications."""
    told: list[str] = []
    tokens_of: str | None = None
    for event in events:
        if isinstance(event, TokenStreamed):
            if tokens_of == event.agent_id and told:
                told[-1] += event.text
            else:
                told.append(f"{event.agent_id}: {event.text}")
                tokens_of = event.agent_id
            continue
        tokens_of = None
        text = describe(event)
        if text is not None:
            told.append(text)
    return told


def describe(event: Event) -> str | None:
    who = event.agent_id or "axo"
    if isinstance(event, AgentActivated):
        return f"{who} started"
    if isinstance(event, AgentCompleted):
        tokens = event.prompt_tokens + event.completion_tokens
        return f"{who} completed ({tokens} tokens)"
    if isinstance(event, AgentFailed):
        return f"{who} failed ({event.error_kind}): {event.error}"
    if isinstance(event, AgentSkipped):
        return f"{who} skipped: {event.reason}"
    if isinstance(event, ToolCalled):
        return f"{who} calls {event.tool}"
    if isinstance(event, ToolResult):
        outcome = "returned" if event.ok else "failed"
        return f"{who}: {event.tool} {outcome}: {_snippet(event.result)}"
    if isinstance(event, ApprovalRequested):
        return (
            f"{who} waits for approval {event.approval_id} to call {event.tool} "
            f"(`axo approvals approve {event.approval_id}` or deny)"
        )
    if isinstance(event, ApprovalDecided):
        return f"{event.tool}: {event.decision} by {event.decided_by} ({event.approval_id})"
    if isinstance(event, BudgetExceeded):
        return (
            f"{who} over its {event.limit} token budget: {event.requested} asked, "
            f"{event.allowed} allowed ({event.policy})"
        )
    return None


def _snippet(text: str) -> str:
    return text if len(text) <= SNIPPET else text[:SNIPPET] + "…"
