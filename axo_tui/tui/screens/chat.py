"""Chat with one agent in a named session: streamed Markdown replies, tool calls inline.

Everything in the transcript (replies, tool calls and results, errors, stored history) is
untrusted: it is drawn with its terminal controls neutralised and never as Rich markup."""

from __future__ import annotations

import json
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, Markdown, Select, Static

from axo_tui.core.base.enums import RunStatus
from axo_tui.core.base.terminal_text import neutralise
from axo_tui.core.events.catalog import (
    AgentFailed,
    BudgetExceeded,
    Event,
    RunCompleted,
    TokenStreamed,
    ToolCalled,
    ToolResult,
)
from axo_tui.core.providers.base import Message
from axo_tui.core.runtime.resume import InterruptedTurn
from axo_tui.tui.bridge import RunOutcome, RunRequest, RuntimeBridge
from axo_tui.tui.chat_session import ChatState, is_slash, run_slash
from axo_tui.tui.model import format_tokens
from axo_tui.tui.settings import WorkbenchSettings
from axo_tui.tui.widgets.footer import QuietFocus, WorkbenchFooter

HISTORY_SHOWN = 200
"""Earlier messages of a session shown when it is opened."""
PLACEHOLDER = "message (Enter to send), /help for commands"
RERUN_CHECK_SECS = 1.0
"""How often a followed rerun is looked up in the journal, in case this screen never hears
of its end (another axo process took it over)."""


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reply_view(text: str = "") -> Markdown:
    """A reply as Markdown. Its links do not open on a click: the model chose the text that
    shows and the address behind it (see `on_markdown_link_clicked`)."""
    return Markdown(neutralise(text), classes="chat-reply", open_links=False)


class ChatScreen(QuietFocus, Screen[None]):
    # Ctrl+C and Ctrl+D as in `ollama run`: Ctrl+C stops the answer being written and, with
    # nothing to stop, quits; Ctrl+D on an empty line quits. Priority: the input would take
    # them as copy and delete. "Quit" leaves the chat: `axo chat` ends, `axo dev` shows the
    # workbench again. Escape only goes back to the workbench, never ends `axo chat`.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "back"),
        Binding("ctrl+c", "stop_answer", "stop", priority=True),
        Binding("ctrl+c", "quit_chat", "quit", priority=True),
        Binding("ctrl+d", "end_of_input", "quit", show=False, priority=True),
        Binding("ctrl+n", "new_session", "new session"),
        Binding("ctrl+l", "focus_agent", "agent"),
        Binding("f1", "app.help", "keys"),
    ]

    def __init__(
        self,
        bridge: RuntimeBridge,
        settings: WorkbenchSettings,
        *,
        agent_id: str | None = None,
        session: str | None = None,
        standalone: bool = False,
    ) -> None:
        super().__init__(id="chat")
        self.bridge = bridge
        self.settings = settings
        self.standalone = standalone
        agents = [a.id for a in bridge.runtime.config.agents]
        self.state = ChatState(agent_id or (agents[0] if agents else ""))
        if session:
            self.state.session = session
        self._run_id: str | None = None
        self._reply: Markdown | None = None
        self._request: RunRequest | None = None
        self._busy = False
        self._rerun: str | None = None
        """The run of a turn a crash interrupted that runs again in this session; the input
        is held (disabled) until it ends, so no message can come between its question and
        its answer."""
        self._rerun_check: Timer | None = None
        self._stop_asked = False
        """Ctrl+C asked to stop the turn in flight (its run is cancelled once known)."""

    def compose(self) -> ComposeResult:
        agents = [(a.display_name, a.id) for a in self.bridge.runtime.config.agents]
        with Horizontal(id="chat-top"):
            yield Label("chat with", id="chat-label")
            yield Select(
                agents,
                value=self.state.agent_id if agents else Select.NULL,
                allow_blank=not agents,
                id="chat-agent",
                compact=True,
            )
            yield Label("", id="chat-session")
        yield VerticalScroll(id="transcript")
        chat_input = Input(placeholder=PLACEHOLDER, id="chat-input")
        chat_input.cursor_blink = self.settings.animate
        yield chat_input
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self.bridge.events.subscribe(self, self._on_events)
        self.bridge.run_finished.subscribe(self, self._on_run_finished)
        self.load_history()
        self.query_one("#chat-input", Input).focus()

    # --------------------------------------------------------------- transcript
    def _transcript(self) -> VerticalScroll:
        return self.query_one("#transcript", VerticalScroll)

    def _say(self, text: str, classes: str) -> Static:
        line = Static(neutralise(text), classes=classes, markup=False)
        self._transcript().mount(line)
        self._transcript().scroll_end(animate=False)
        return line

    def load_history(self) -> None:
        """Show the session's earlier turns (it may have been started in another run)."""
        self._update_session_label()
        transcript = self._transcript()
        transcript.remove_children()
        if not self.state.agent_id:
            self._say("this config has no agents to chat with", "chat-error")
            return
        runtime = self.bridge.runtime
        rerun = runtime.interrupted_turn(self.state.session_id)
        # A rerun's own messages are shown from the run instead, whichever step it reached.
        messages = runtime.state.session_history(self.state.session_id, rerun=rerun)
        for message in messages[-HISTORY_SHOWN:]:
            self._show_message(message)
        if not messages and rerun is None:
            self._say(f"new session '{self.state.session}' with {self.state.agent_id}", "chat-meta")
        self._follow_rerun(rerun)
        transcript.scroll_end(animate=False)

    # ------------------------------------------------------------------ reruns
    def _follow_rerun(self, rerun: InterruptedTurn | None) -> None:
        """Show a rerun of an interrupted turn as a turn in progress, holding the input."""
        if rerun is None:
            if self._rerun is not None:
                self._release_input()  # switched to another session or agent
            return
        self._say(
            "↻ a crash interrupted this turn; it runs again now, and new messages wait "
            "until it ends",
            "chat-meta",
        )
        self._say(rerun.input, "chat-user")
        self._rerun = self._run_id = rerun.run_id
        self._set_busy(True)
        self._reply = None
        chat_input = self.query_one("#chat-input", Input)
        chat_input.disabled = True
        chat_input.placeholder = "…the interrupted turn runs again; wait for its answer"
        if self._rerun_check is None:
            self._rerun_check = self.set_interval(RERUN_CHECK_SECS, self._check_rerun)

    def _release_input(self) -> None:
        self._rerun = self._run_id = None
        self._set_busy(False)
        if self._rerun_check is not None:
            self._rerun_check.stop()
            self._rerun_check = None
        chat_input = self.query_one("#chat-input", Input)
        chat_input.disabled = False
        chat_input.placeholder = PLACEHOLDER
        chat_input.focus()

    async def _rerun_ended(self, event: RunCompleted) -> None:
        await self._reload()
        if event.status == RunStatus.COMPLETED:
            self._say("↻ the interrupted turn ran again", "chat-meta")
        else:
            self._say(f"✗ the interrupted turn {event.status}: {event.error or ''}", "chat-error")

    async def _check_rerun(self) -> None:
        if self._rerun is None:
            return
        current = self.bridge.runtime.interrupted_turn(self.state.session_id)
        if current is None or current.run_id != self._rerun:
            # It ended (or another process took it) without this screen hearing of it.
            await self._reload()

    async def _reload(self) -> None:
        """The journal has the rerun's whole turn now, in order: show the session from there,
        the old transcript gone before the input is released."""
        ended = self._rerun
        await self._transcript().remove_children()
        self.load_history()  # finds no rerun any more: releases the input
        if ended is not None and self._rerun == ended:
            self._release_input()

    def _show_message(self, message: Message) -> None:
        if message.role == "user":
            self._say(message.content, "chat-user")
        elif message.role == "assistant":
            if message.content.strip():
                self._transcript().mount(_reply_view(message.content))
            for call in message.tool_calls:
                self._say(f"▸ tool {call.name} {_clip(json.dumps(call.arguments))}", "chat-tool")
        elif message.role == "tool":
            self._say(f"◂ {message.name or 'tool'} → {_clip(message.content)}", "chat-tool")

    def _update_session_label(self) -> None:
        self.query_one("#chat-session", Label).update(f"session '{self.state.session}'")

    # ------------------------------------------------------------------- turns
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            return
        event.input.clear()
        if is_slash(text):
            self._slash(text)
            return
        if self._busy:
            self.notify("the agent is still answering", severity="warning")
            return
        if not self.state.agent_id:
            return
        self.send(text)

    def send(self, text: str) -> None:
        self._say(text, "chat-user")
        self._set_busy(True)
        self._reply = None
        self._run_id = None
        self.query_one("#chat-input", Input).placeholder = "…the agent is answering"
        self._request = RunRequest("chat", self.state.agent_id, text, self.state.session_id)
        self.bridge.start_run(self._request, on_run_id=self._claim)

    def _claim(self, run_id: str) -> None:
        self._run_id = run_id
        if self._stop_asked:
            self.bridge.request_cancel(run_id)  # Ctrl+C came before the run had an id

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        if not busy:
            self._stop_asked = False
        self.refresh_bindings()  # the footer's Ctrl+C says "stop" or "quit"

    def _slash(self, text: str) -> None:
        reply = run_slash(text, self.state, self.bridge.runtime)
        if reply.quit:
            self.leave()
            return
        if reply.switched:
            self.load_history()
            select = self.query_one("#chat-agent", Select)
            if select.value != self.state.agent_id:
                select.value = self.state.agent_id
        self._say(reply.text, "chat-error" if reply.error else "chat-meta")

    async def _on_events(self, events: list[Event]) -> None:
        # Async on purpose: the screen handles one callback at a time, so awaiting each
        # mount/append keeps the transcript in event order, and a batch (one frame of
        # tokens) becomes one Markdown append.
        if self._run_id is None:
            return
        pending = ""
        for event in events:
            if event.run_id != self._run_id:
                continue
            if isinstance(event, RunCompleted) and event.run_id == self._rerun:
                await self._append_reply(pending)
                pending = ""
                await self._rerun_ended(event)
                continue
            if isinstance(event, TokenStreamed):
                pending += event.text
                continue
            await self._append_reply(pending)
            pending = ""
            if isinstance(event, ToolCalled):
                self._reply = None  # text after a tool call starts a new block
                self._say(f"▸ tool {event.tool} {_clip(json.dumps(event.arguments))}", "chat-tool")
            elif isinstance(event, ToolResult):
                self._say(
                    f"◂ {event.tool} → {_clip(event.result)}",
                    "chat-tool" if event.ok else "chat-error",
                )
            elif isinstance(event, AgentFailed):
                self._say(f"✗ {event.error}", "chat-error")
            elif isinstance(event, BudgetExceeded) and event.policy == "abort":
                self._say(
                    f"⚠ budget {event.limit}: needs {event.requested}, allowed {event.allowed}",
                    "chat-error",
                )
        await self._append_reply(pending)

    async def _append_reply(self, text: str) -> None:
        if not text:
            return
        if self._reply is None:
            self._reply = _reply_view()
            await self._transcript().mount(self._reply)
        await self._reply.append(neutralise(text))
        self._transcript().scroll_end(animate=False)

    async def _on_run_finished(self, outcome: RunOutcome) -> None:
        if outcome.request is not self._request:
            return  # another screen's run, or a turn of a session we switched away from
        self._request = None
        stopped = self._stop_asked
        self._set_busy(False)
        self.query_one("#chat-input", Input).placeholder = PLACEHOLDER
        if outcome.cancelled and stopped:
            self._say("■ stopped · Ctrl+C again quits", "chat-meta")
        elif outcome.cancelled:
            self._say("✗ cancelled", "chat-error")
        elif outcome.error is not None:
            self._say(f"✗ {outcome.error}", "chat-error")
        elif outcome.result is not None:
            result = outcome.result
            self.state.record_turn(result.usage.total)
            if result.ok and self._reply is None and result.output.strip():
                # A provider that does not stream still gets its reply shown.
                await self._transcript().mount(_reply_view(result.output))
            self._say(f"{format_tokens(result.usage.total)} tok", "chat-meta")
        self._run_id = None

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        # Shown, not opened: a reply's link text can say anything about where it leads.
        event.stop()
        self.notify(neutralise(event.href), title="link in the reply (not opened)", markup=False)

    # ----------------------------------------------------------------- actions
    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "chat-agent" or not isinstance(event.value, str):
            return
        self.switch_agent(event.value)

    def switch_agent(self, agent_id: str) -> None:
        """Talk to `agent_id` (same session name), showing that session's history."""
        if not self.is_mounted:
            self.state.agent_id = agent_id  # compose picks it up
            return
        select = self.query_one("#chat-agent", Select)
        if select.value != agent_id:
            select.value = agent_id  # posts Changed, which comes back here
        if agent_id != self.state.agent_id:
            self.state.agent_id = agent_id
            self.state.turns = self.state.tokens = 0
            self.load_history()
        self.query_one("#chat-input", Input).focus()

    def action_new_session(self) -> None:
        existing = {s.id for s in self.bridge.runtime.state.sessions(self.state.agent_id)}
        number = 2
        while f"chat:{self.state.agent_id}:s{number}" in existing:
            number += 1
        self._slash(f"/session s{number}")

    def action_focus_agent(self) -> None:
        self.query_one("#chat-agent", Select).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return not self.standalone
        if action == "stop_answer":
            return self._busy
        if action == "quit_chat":
            return not self._busy
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_stop_answer(self) -> None:
        if self._stop_asked:
            return  # already stopping
        self._stop_asked = True
        if self._run_id is not None:
            self.bridge.request_cancel(self._run_id)

    def action_quit_chat(self) -> None:
        chat_input = self.query_one("#chat-input", Input)
        if chat_input.value:
            chat_input.clear()  # as a shell does: Ctrl+C drops the line typed so far
        else:
            self.leave()

    def action_end_of_input(self) -> None:
        chat_input = self.query_one("#chat-input", Input)
        if chat_input.value:
            chat_input.action_delete_right()  # the input's own Ctrl+D, inside a line
        else:
            self.leave()

    def leave(self) -> None:
        """Quit the chat: `axo chat` ends, the workbench's chat screen closes."""
        if self.standalone:
            self.app.exit()
        else:
            self.app.pop_screen()
