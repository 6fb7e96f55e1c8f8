"""`kind: wasm` agents in workflows and skills: an activation is one ACL `request`.

The input (with the upstream outputs) goes to the agent as the request's content; its first
reply is the activation's output, and a `failure` (a trap, a missed deadline, a refusal) is
the activation's failure. While it runs, its conversation belongs to the run: the messages
are journaled with the run, and the guest's `llm` and `tool` calls are the run's.
"""

from __future__ import annotations

import json
from collections import Counter

from axo_tui.core.acl.message import AclMessage, Performative
from axo_tui.core.base.errors import AxoError
from axo_tui.core.providers.base import Usage
from axo_tui.core.runtime.agent_turn import TurnOutcome, TurnRequest
from axo_tui.core.runtime.messaging import WORKFLOW, Messaging

REPLY_WAIT_SECS = 60.0
"""How long an activation waits for the WASM agent's reply."""


class WasmActivationError(AxoError):
    """The WASM agent answered with a failure, or not at all."""


class WasmBackend:
    def __init__(self, messaging: Messaging) -> None:
        self._messaging = messaging
        self._in_flight: Counter[str] = Counter()
        """Activations per conversation: WASM agents of one run share its conversation."""

    async def run(self, request: TurnRequest) -> TurnOutcome:
        content: dict[str, object] = {"input": request.input}
        if request.upstream:
            content["upstream"] = dict(request.upstream)
        if request.task:
            content["task"] = request.task
        message = AclMessage(
            Performative.REQUEST,
            WORKFLOW,
            (request.agent.id,),
            content,
            conversation_id=f"run-{request.run_id or request.activation_id}",
        )
        conversation = message.conversation_id
        runs = self._messaging.conversation_runs
        if request.run_id:
            runs[conversation] = request.run_id
            self._in_flight[conversation] += 1
        try:
            _, reply = await self._messaging.send(message, wait_secs=REPLY_WAIT_SECS)
        finally:
            if request.run_id:
                self._in_flight[conversation] -= 1
                if not self._in_flight[conversation]:
                    del self._in_flight[conversation]
                    runs.pop(conversation, None)
        if reply is None:
            raise WasmActivationError(
                f"WASM agent '{request.agent.id}' sent no reply within {REPLY_WAIT_SECS:.0f} s"
            )
        if reply.performative in (
            Performative.FAILURE,
            Performative.REFUSE,
            Performative.NOT_UNDERSTOOD,
        ):
            raise WasmActivationError(
                f"WASM agent '{request.agent.id}' answered {reply.performative}: {reply.content}"
            )
        content_text = reply.content
        text = content_text if isinstance(content_text, str) else json.dumps(content_text)
        return TurnOutcome(text=text, usage=Usage())
