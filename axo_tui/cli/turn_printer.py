"""What `axo chat`'s line mode prints of one turn, from the runtime here or a daemon's
event stream alike: the reply to stdout, tool calls and errors to stderr. Everything shown
comes from a model or a tool: written through `output.write`, which neutralises terminal
controls."""

from __future__ import annotations

import json
from typing import Any, TextIO

from axo_tui.cli import output


class TurnPrinter:
    """What line mode prints of a turn's events (their `axo events --json` objects, from
    the runtime here or a daemon's stream): the reply to `out`, tools and errors to `err`."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err
        self.streamed = False

    def show(self, event: dict[str, Any]) -> bool:
        """Print one event of the turn; True at its end (`run.completed`)."""
        kind, out, err = event.get("kind"), self.out, self.err
        if kind == "token.streamed":
            output.write(event["text"], stream=out)
            self.streamed = True
        elif kind == "tool.called":
            break_line(out, self.streamed)
            arguments = json.dumps(event["arguments"])[:200]
            output.write(f"▸ tool {event['tool']} {arguments}\n", stream=err)
        elif kind == "tool.result":
            returned = " ".join(str(event["result"]).split())[:200]
            output.write(f"◂ {event['tool']} → {returned}\n", stream=err)
        elif kind == "agent.failed" and event.get("error_kind") != "cancelled":
            break_line(out, self.streamed)  # a stopped turn says so once, elsewhere
            output.write(f"error: {event['error']}\n", stream=err)
        elif kind == "budget.exceeded" and event.get("policy") == "abort":
            output.write(
                f"budget {event['limit']}: needs {event['requested']}, "
                f"allowed {event['allowed']}\n",
                stream=err,
            )
        return kind == "run.completed"

    def end(self, ok: bool, reply: str) -> None:
        """After the result: the reply of a provider that does not stream, a last newline."""
        if ok and not self.streamed and reply:
            output.write(reply, stream=self.out)
            self.streamed = True
        if self.streamed:
            self.out.write("\n")
            self.out.flush()


def break_line(out: TextIO, streamed: bool) -> None:
    if streamed:
        out.write("\n")
        out.flush()
