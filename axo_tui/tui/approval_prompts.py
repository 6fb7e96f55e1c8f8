"""Shows each pending tool approval as a dialog, one at a time, and sends the answer.

Reads the bridge's event batches: an `approval.requested` queues a dialog (the same id again,
after a restart, is not queued twice); an `approval.decided` elsewhere (the CLI, the API, the
timeout) closes its dialog or drops it from the queue.
"""

from __future__ import annotations

from typing import Any

from textual.app import App

from axo_tui.core.base.terminal_text import neutralise
from axo_tui.core.events.catalog import ApprovalDecided, ApprovalRequested, Event
from axo_tui.core.runtime.approvals import ApprovalError
from axo_tui.tui.bridge import RuntimeBridge
from axo_tui.tui.screens.approval import ApprovalAnswer, ApprovalScreen


class ApprovalPrompts:
    def __init__(self, app: App[Any], bridge: RuntimeBridge) -> None:
        self.app = app
        self.bridge = bridge
        self.queue: list[ApprovalRequested] = []
        self.showing: ApprovalScreen | None = None
        self.answered: set[str] = set()

    def start(self) -> None:
        self.bridge.events.subscribe(self.app, self.on_events)

    def on_events(self, batch: list[Event]) -> None:
        for event in batch:
            if isinstance(event, ApprovalRequested):
                known = {r.approval_id for r in self.queue}
                if self.showing is not None:
                    known.add(self.showing.approval_id)
                if event.approval_id not in known | self.answered:
                    self.queue.append(event)
            elif isinstance(event, ApprovalDecided):
                self.answered.add(event.approval_id)
                self.queue = [r for r in self.queue if r.approval_id != event.approval_id]
                screen = self.showing
                if screen is not None and screen.approval_id == event.approval_id:
                    self.showing = None
                    screen.dismiss(None)
        self._show_next()

    def _show_next(self) -> None:
        if self.showing is not None or not self.queue:
            return
        request = self.queue.pop(0)
        screen = ApprovalScreen(request)
        self.showing = screen

        def answered(answer: ApprovalAnswer | None) -> None:
            if self.showing is screen:
                self.showing = None
            if answer is not None:
                self.app.run_worker(
                    self._decide(request, answer), name=f"approval {request.approval_id}"
                )
            self._show_next()

        self.app.push_screen(screen, answered)

    async def _decide(self, request: ApprovalRequested, answer: ApprovalAnswer) -> None:
        try:
            await self.bridge.runtime.decide_approval(
                request.approval_id, answer.decision, answer.remember
            )
        except ApprovalError as exc:
            self.app.notify(
                neutralise(str(exc)),
                title="approval not recorded",
                severity="warning",
                markup=False,
            )
            return
        self.answered.add(request.approval_id)
        verb = "approved" if answer.decision == "approve" else "denied"
        always = " (always for this agent and tool)" if answer.remember == "always" else ""
        self.app.notify(
            neutralise(f"{request.tool} for {request.agent_id}: {verb}{always}"),
            title="approval",
            markup=False,
        )
