"""The dialog for a tool call that waits for a human (`approval.requested`).

Shows the tool, the agent and the exact arguments (untrusted: neutralised, and never read as
markup). `a` approves this call, `A` approves it and every later call of this tool by this
agent, `d` denies, `esc` leaves it waiting (it is still answerable with `axo approvals`, and
denied when its time runs out).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from axo_tui.core.base.terminal_text import neutralise
from axo_tui.core.events.catalog import ApprovalRequested

MAX_ARGUMENT_CHARS = 4000


@dataclass(frozen=True)
class ApprovalAnswer:
    decision: str
    """`approve` or `deny`."""
    remember: str = "once"


class ApprovalScreen(ModalScreen[ApprovalAnswer | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "answer('approve', 'once')", "approve once"),
        Binding("A", "answer('approve', 'always')", "always for this agent and tool"),
        Binding("d", "answer('deny', 'once')", "deny"),
        Binding("escape", "dismiss(None)", "decide later"),
    ]

    def __init__(self, request: ApprovalRequested) -> None:
        super().__init__()
        self.request = request

    @property
    def approval_id(self) -> str:
        return self.request.approval_id

    def compose(self) -> ComposeResult:
        request = self.request
        arguments = json.dumps(request.arguments, indent=2, ensure_ascii=False)
        if len(arguments) > MAX_ARGUMENT_CHARS:
            arguments = arguments[:MAX_ARGUMENT_CHARS] + "\n…"
        left = max(0, round(request.expires_at - time.time()))
        with Vertical(id="approval-dialog"):
            yield Label("A tool call needs your approval", id="approval-title")
            yield Label(
                Content(
                    f"agent {neutralise(request.agent_id or '?')} wants to run "
                    f"{neutralise(request.tool)}"
                ),
                id="approval-what",
            )
            yield Static(Content(neutralise(arguments)), id="approval-arguments")
            yield Label(
                Content(f"id {request.approval_id} · denied in {left}s without an answer"),
                id="approval-when",
            )
            with Horizontal(id="approval-buttons"):
                yield Button("Approve once (a)", id="approve-once", variant="success")
                yield Button("Always for this agent + tool (A)", id="approve-always")
                yield Button("Deny (d)", id="deny", variant="error")
            yield Label("esc: decide later (`axo approvals` answers too)", id="approval-help")

    def on_mount(self) -> None:
        self.query_one("#deny", Button).focus()  # Enter alone never approves

    def action_answer(self, decision: str, remember: str) -> None:
        self.dismiss(ApprovalAnswer(decision, remember))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        answers = {
            "approve-once": ApprovalAnswer("approve"),
            "approve-always": ApprovalAnswer("approve", "always"),
            "deny": ApprovalAnswer("deny"),
        }
        self.dismiss(answers.get(event.button.id or ""))
