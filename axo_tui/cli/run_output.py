"""How a run is shown on the terminal: streamed tokens, the result, or JSON.

Replies, tool names and errors come from models and providers: written through `output`,
which neutralises their terminal controls (the JSON keeps them exactly, escaped)."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from axo_tui.cli import output

if TYPE_CHECKING:
    import asyncio

    from axo_tui.core.events.bus import Subscription
    from axo_tui.core.events.catalog import Event
    from axo_tui.core.runtime.runs import RunResult
    from axo_tui.core.runtime.runtime import Runtime


async def stream_run_events(subscription: Subscription) -> None:
    """Print tokens as they arrive, a header whenever the speaking agent changes, and tool
    calls and failures inline. Runs until cancelled."""
    printer = RunStreamPrinter()
    async for event in subscription:
        printer.show(event.to_dict())


class RunStreamPrinter:
    """What `--stream` prints of a run's events, given as their `axo events --json` objects
    (a local subscription's and a daemon's event stream print the same)."""

    def __init__(self) -> None:
        self.speaker: str | None = None

    def show(self, event: Mapping[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "token.streamed":
            if event["agent_id"] != self.speaker:
                self.speaker = event["agent_id"]
                output.write(f"\n[{self.speaker}] ")
            output.write(event["text"])
            return
        if kind == "tool.called":
            output.write(f"\n  ▸ {event['tool']} {json.dumps(event['arguments'])}\n")
        elif kind == "agent.failed":
            output.write(f"\n[{event['agent_id']}] failed: {event['error']}\n")
        elif kind == "agent.skipped":
            output.write(f"\n[{event['agent_id']}] skipped: {event['reason']}\n")
        else:
            return
        self.speaker = None


def announce_approval(event: Event) -> None:
    """A tool call waits for a human: say so on stderr, with the commands that answer it
    (the run seems to hang otherwise). A bus sink: `Runtime.watch(announce_approval)`."""
    from axo_tui.core.events.catalog import ApprovalRequested

    if isinstance(event, ApprovalRequested):
        announce_approval_of(event.to_dict())


def announce_approval_of(event: Mapping[str, Any]) -> None:
    """`announce_approval` for an `approval.requested` event's JSON object (from a daemon)."""
    import time

    if event.get("kind") != "approval.requested":
        return
    arguments = json.dumps(event["arguments"], ensure_ascii=False)[:300]
    left = max(0, round(event["expires_at"] - time.time()))
    output.print_line(
        f"approval needed: agent {event['agent_id']} wants to run {event['tool']} {arguments}\n"
        f"  answer with `axo approvals approve {event['approval_id']}` (or `deny`); "
        f"denied in {left}s without an answer",
        style="yellow",
        stderr=True,
    )


def print_result(result: RunResult, *, as_json: bool, streamed: bool = False) -> None:
    print_result_body(result.to_dict(), as_json=as_json, streamed=streamed)


def print_result_body(result: Mapping[str, Any], *, as_json: bool, streamed: bool = False) -> None:
    """A run result as `RunResult.to_dict()` (or the API) gives it: JSON, or its output
    and a summary line."""
    if as_json:
        print(json.dumps(result, indent=2))
        return
    if streamed:
        sys.stdout.write("\n\n")
    else:
        output.write(result["output"] + "\n")
    summary = (
        f"run {result['run_id'][:12]} {result['status']} · {result['activations']} "
        f"activation(s) · {result['usage']['total_tokens']} tokens"
    )
    ok = result["status"] == "completed"
    output.print_line(summary, style="dim" if ok else "bold red", stderr=True)
    for agent_id, message in result["errors"].items():
        output.print_line(f"  {agent_id}: {message}", style="red", stderr=True)


SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


@contextlib.contextmanager
def progress_line(runtime: Runtime, *, enabled: bool = True) -> Iterator[None]:
    """While the block runs, one updating line on stderr: which agents run, how many
    finished, tokens so far, time. Only when stderr is a terminal (nothing when piped, so
    logs and `2>file` stay clean); the line is erased at the end."""
    if not enabled or not sys.stderr.isatty():
        yield
        return
    import asyncio

    stop = asyncio.Event()
    task = asyncio.ensure_future(_draw_progress(runtime.subscribe(), stop))
    try:
        yield
    finally:
        # The flag, not only cancel(): on 3.11 wait_for can swallow a cancellation that
        # arrives as its wait ends, and the line would be drawn again after the erase.
        stop.set()
        task.cancel()
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


async def _draw_progress(subscription: Subscription, stop: asyncio.Event) -> None:
    import asyncio
    import shutil
    import time

    from axo_tui.core.base.terminal_text import neutralise
    from axo_tui.core.events.catalog import (
        AgentActivated,
        AgentCompleted,
        AgentFailed,
        TokenStreamed,
        UsageRecorded,
    )

    started = time.monotonic()
    running: dict[str, str] = {}  # activation id -> agent id
    finished = tokens = streamed = 0
    frame = 0
    try:
        while not stop.is_set():
            try:  # wakes at least 5 times a second: the clock moves without events
                batch = [await asyncio.wait_for(subscription.get(), timeout=0.2)]
            except TimeoutError:
                batch = []
            for event in batch + subscription.drain():
                if isinstance(event, AgentActivated):
                    running[event.activation_id] = event.agent_id or "?"
                elif isinstance(event, AgentCompleted | AgentFailed):
                    if running.pop(event.activation_id, None) is not None:
                        finished += 1
                elif isinstance(event, TokenStreamed):
                    streamed += 1  # a chunk is about a token; the ledger's count replaces it
                elif isinstance(event, UsageRecorded):
                    tokens += event.prompt_tokens + event.completion_tokens
                    streamed = 0
            frame += 1
            agents = ", ".join(dict.fromkeys(running.values())) or "waiting"
            text = (
                f"{SPINNER[frame % len(SPINNER)]} {agents} · {finished} done · "
                f"{tokens + streamed} tok · {time.monotonic() - started:.0f}s"
            )
            width = shutil.get_terminal_size((80, 24)).columns - 1
            if stop.is_set():
                return
            sys.stderr.write("\r\x1b[2K" + neutralise(text)[:width])
            sys.stderr.flush()
    finally:
        subscription.close()
