"""`axo chat` with a daemon: line mode over its API (the project is held by `axo serve` or
`axo dev --serve`, or `--remote` names one). Each turn is `POST /api/agents/{id}/execute`
in the chat session, shown from the daemon's event stream as line mode shows a local turn.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from axo_tui.cli import output

if TYPE_CHECKING:
    from axo_tui.cli.remote import ApiClient, Remote

PROMPT = "› "
HELP = """\
/help             this list
/reset            clear this session's transcript (the next turn starts afresh)
/session NAME     switch to (or start) the session NAME
/agent NAME       talk to another agent
/quit             leave (as does Ctrl+D)"""


def remote_chat(remote: Remote, agent: str, session: str | None) -> int:
    """The line-mode loop against the daemon; the exit code (1 if any turn failed)."""
    from axo_tui.cli.remote import run_remote
    from axo_tui.tui.chat_session import DEFAULT_SESSION

    talk = Talk(agent, session or DEFAULT_SESSION)

    async def job(client: ApiClient) -> int:
        await client.call("GET", f"/api/agents/{quote(agent, safe='')}/status")  # 404: named
        return await talk.loop(client)

    code: int = run_remote(remote, job)
    return code


class Talk:
    def __init__(self, agent: str, session: str) -> None:
        self.agent = agent
        self.session = session
        self.failed = False

    async def loop(self, client: ApiClient) -> int:
        from axo_tui.cli.chat_keys import StdinLines

        interactive = sys.stdin.isatty()
        lines = StdinLines()
        while True:
            if interactive:
                sys.stdout.write(PROMPT)
                sys.stdout.flush()
            line = await lines.readline()
            if not line:
                if interactive:
                    sys.stdout.write("\n")
                    sys.stdout.flush()
                return 1 if self.failed else 0
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                if not await self.slash(client, text):
                    return 1 if self.failed else 0
                continue
            self.failed = not await self.turn(client, text) or self.failed

    async def turn(self, client: ApiClient, text: str) -> bool:
        from axo_tui.cli.remote import execute
        from axo_tui.cli.turn_printer import TurnPrinter

        shown = TurnPrinter(sys.stdout, sys.stderr)
        path = f"/api/agents/{quote(self.agent, safe='')}/execute"
        body = {"input": text, "session": self.session}
        result = await execute(client, path, body, target=self.agent, show=shown.show)
        ok: bool = result["status"] == "completed"
        shown.end(ok, result["output"])
        return ok

    async def slash(self, client: ApiClient, text: str) -> bool:
        """Answer a slash command; False to quit."""
        name, _, argument = text[1:].strip().partition(" ")
        name, argument = name.lower(), argument.strip()
        if name in ("quit", "exit", "q"):
            output.write("bye\n")
            return False
        if name in ("help", "h", "?"):
            output.write(HELP + "\n")
        elif name == "reset":
            path = f"/api/chat/{quote(self.agent, safe='')}/sessions/{quote(self.session)}"
            await client.call("DELETE", path)
            output.write(f"session '{self.session}' with {self.agent} cleared\n")
        elif name == "session" and argument and ":" not in argument and " " not in argument:
            self.session = argument
            output.write(f"session '{argument}' with {self.agent}\n")
        elif name == "agent" and argument:
            agents: list[dict[str, Any]] = await client.call("GET", "/api/agents")
            known = [str(a["id"]) for a in agents]
            if argument not in known:
                output.write(
                    f"no agent '{argument}'; agents: {', '.join(known)}\n", stream=sys.stderr
                )
            else:
                self.agent = argument
                output.write(f"now talking to {argument} (session '{self.session}')\n")
        else:
            output.write(f"/{name} {argument}: not understood here; try /help\n", stream=sys.stderr)
        return True
