"""How a run is shown on the terminal: streamed tokens, the result, or JSON.

Replies, tool names and errors come from models and providers: written through `output`,
which neutralises their terminal controls (the JSON keeps them exactly, escaped)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from axo_tui.cli import output

if TYPE_CHECKING:
    from axo_tui.core.bus import Subscription
    from axo_tui.core.runs import RunResult


async def stream_run_events(subscription: Subscription) -> None:
    """Print tokens as they arrive, a header whenever the speaking agent changes, and tool
    calls and failures inline. Runs until cancelled."""
    from axo_tui.core.events import AgentFailed, AgentSkipped, TokenStreamed, ToolCalled

    speaker: str | None = None
    async for event in subscription:
        if isinstance(event, TokenStreamed):
            if event.agent_id != speaker:
                speaker = event.agent_id
                output.write(f"\n[{speaker}] ")
            output.write(event.text)
        elif isinstance(event, ToolCalled):
            output.write(f"\n  ▸ {event.tool} {json.dumps(event.arguments)}\n")
            speaker = None
        elif isinstance(event, AgentFailed):
            output.write(f"\n[{event.agent_id}] failed: {event.error}\n")
            speaker = None
        elif isinstance(event, AgentSkipped):
            output.write(f"\n[{event.agent_id}] skipped: {event.reason}\n")
            speaker = None


def print_result(result: RunResult, *, as_json: bool, streamed: bool = False) -> None:
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    if streamed:
        sys.stdout.write("\n\n")
    else:
        output.write(result.output + "\n")
    summary = (
        f"run {result.run_id[:12]} {result.status} · {result.activations} activation(s) · "
        f"{result.usage.total} tokens"
    )
    output.print_line(summary, style="dim" if result.ok else "bold red", stderr=True)
    for agent_id, message in result.errors.items():
        output.print_line(f"  {agent_id}: {message}", style="red", stderr=True)
