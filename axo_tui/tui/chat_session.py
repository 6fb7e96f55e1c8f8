"""Chat sessions and slash commands, shared by the Textual chat screen and `axo chat --plain`.

Imports no textual, so the plain line mode starts fast and works without a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from axo_tui.core.runtime.runs import chat_session_id
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.tui.model import format_tokens

DEFAULT_SESSION = "default"

HELP = """\
/help            this list
/reset           forget this session's history (the agent's memory blocks stay)
/session [NAME]  show the session, or switch to (or start) session NAME
/tokens          tokens spent in this session and by the agent overall
/agent NAME      talk to another agent
/quit            leave (Ctrl+D works too)"""


def session_id_for(agent_id: str, name: str) -> str:
    """Sessions are per agent: `--session work` with two agents means two conversations."""
    return chat_session_id(agent_id, name)


@dataclass
class ChatState:
    agent_id: str
    session: str = DEFAULT_SESSION
    turns: int = 0
    tokens: int = 0
    """Tokens spent by turns of this process in the current session."""

    @property
    def session_id(self) -> str:
        return session_id_for(self.agent_id, self.session)

    def record_turn(self, tokens: int) -> None:
        self.turns += 1
        self.tokens += tokens


@dataclass(frozen=True)
class SlashReply:
    text: str
    error: bool = False
    quit: bool = False
    switched: bool = False
    """The agent or session changed (or was reset): a view should reload its transcript."""


def is_slash(line: str) -> bool:
    return line.startswith("/") and not line.startswith("//")


def run_slash(line: str, state: ChatState, runtime: Runtime) -> SlashReply:
    """Execute one slash command against `state`; never raises for user mistakes."""
    name, _, argument = line[1:].strip().partition(" ")
    argument = argument.strip()
    name = name.lower()
    if name in ("quit", "exit", "q"):
        return SlashReply("bye", quit=True)
    if name in ("help", "h", "?"):
        return SlashReply(HELP)
    if name == "reset":
        runtime.clear_session(state.session_id)
        state.turns = state.tokens = 0
        return SlashReply(f"session '{state.session}' with {state.agent_id} cleared", switched=True)
    if name == "session":
        return _session(argument, state, runtime)
    if name == "tokens":
        rows = runtime.state.usage(group_by="agent").rows
        overall = sum(row.total_tokens for row in rows if row.key == state.agent_id)
        return SlashReply(
            f"this session: {format_tokens(state.tokens)} tokens in {state.turns} turn"
            f"{'' if state.turns == 1 else 's'}; {state.agent_id} overall: "
            f"{format_tokens(overall)} tokens"
        )
    if name == "agent":
        return _agent(argument, state, runtime)
    return SlashReply(f"unknown command /{name}; try /help", error=True)


def _session(argument: str, state: ChatState, runtime: Runtime) -> SlashReply:
    if not argument:
        known = [
            session.id.removeprefix(f"chat:{state.agent_id}:")
            for session in runtime.state.sessions(state.agent_id)
            if session.id.startswith(f"chat:{state.agent_id}:")
        ]
        others = [name for name in known if name != state.session]
        text = f"session '{state.session}' with {state.agent_id}"
        if others:
            text += f" (others: {', '.join(others)})"
        return SlashReply(text)
    if any(char.isspace() for char in argument) or ":" in argument:
        return SlashReply("a session name is one word without ':'", error=True)
    state.session = argument
    state.turns = state.tokens = 0
    history = runtime.session_length(state.session_id)
    note = f", {history} earlier messages" if history else ", new"
    return SlashReply(f"session '{argument}' with {state.agent_id}{note}", switched=True)


def _agent(argument: str, state: ChatState, runtime: Runtime) -> SlashReply:
    known = [agent.id for agent in runtime.config.agents]
    if not argument:
        return SlashReply(f"talking to {state.agent_id}; agents: {', '.join(known)}")
    if argument not in known:
        return SlashReply(f"no agent '{argument}'; agents: {', '.join(known)}", error=True)
    state.agent_id = argument
    state.turns = state.tokens = 0
    return SlashReply(f"now talking to {argument} (session '{state.session}')", switched=True)
