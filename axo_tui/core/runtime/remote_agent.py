"""The activation backend of remote A2A agents (`provider: a2a`, kind `a2a`).

The runtime journals, supervises and announces a remote agent's activation like any other;
this backend sends the turn's message (input, task, upstream context) to the peer, streams
its reply as TokenStreamed, records the usage the peer reports in the ledger and keeps the
exchange in the session. Transient failures are retried (`a2a.max_retries`, backoff with
jitter) until the first streamed text, within `a2a.deadline_secs`; the last failure is a
ProviderError, so retries of the circuit breaker and `on_upstream_failure` apply as for a
model. A peer that leaves its task `input-required` gets the session's next turn under the
same task id.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import TYPE_CHECKING, Any, Protocol

from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import RemoteCallCompleted, TokenStreamed, UsageRecorded
from axo_tui.core.providers.base import Message, ProviderError, Usage
from axo_tui.core.runtime.agent_turn import TurnOutcome, TurnRequest, compose_user_message
from axo_tui.core.store.journal import Journal

if TYPE_CHECKING:
    from axo_tui.core.a2a.peer import Peer
    from axo_tui.core.config.schema import AgentConfig


class RemoteServices(Protocol):
    """What a remote agent needs of the runtime (`backend.RemoteServices` has it), declared
    here so this module does not import the backends that import it."""

    @property
    def journal(self) -> Journal: ...

    @property
    def bus(self) -> EventBus: ...


A2A = "a2a"
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0


class RemoteAgentBackend:
    def __init__(self, services: RemoteServices) -> None:
        self._services = services
        self._peers: dict[str, tuple[AgentConfig, Peer]] = {}
        self._waiting: dict[str, tuple[str, str]] = {}
        """session id -> (task id, context id) of a peer task waiting for input."""

    def peer(self, agent: AgentConfig) -> Peer:
        from axo_tui.core.a2a.peer import Peer  # the SDK loads only with a remote agent

        known = self._peers.get(agent.id)
        if known is not None and known[0] == agent:
            return known[1]
        peer = Peer(
            agent.id,
            agent.url or "",
            headers=dict(agent.a2a.headers),
            timeout_secs=agent.a2a.timeout_secs,
        )
        self._peers[agent.id] = (agent, peer)
        return peer

    async def check(self, agent: AgentConfig) -> None:
        """Fetch and check the agent's card now (raises PeerError naming agent and URL)."""
        await self.peer(agent).card()

    async def run(self, request: TurnRequest) -> TurnOutcome:
        from axo_tui.core.a2a.peer import PeerError

        agent = request.agent
        peer = self.peer(agent)
        text = compose_user_message(request)
        journal, bus = self._services.journal, self._services.bus
        if request.new_session:
            journal.start_session(request.session_id)
        journal.append_session(request.session_id, agent.id, [Message("user", text)])
        streamed: list[str] = []

        def on_text(delta: str) -> None:
            streamed.append(delta)
            if bus.wanted(TokenStreamed):
                bus.emit(
                    TokenStreamed,
                    run_id=request.run_id,
                    agent_id=agent.id,
                    activation_id=request.activation_id,
                    text=delta,
                )

        waiting = self._waiting.pop(request.session_id, None)
        context_id = (
            waiting[1] if waiting else uuid.uuid5(uuid.NAMESPACE_URL, request.session_id).hex
        )
        task_id = waiting[0] if waiting else None
        settings = agent.a2a
        try:
            async with asyncio.timeout(settings.deadline_secs):
                for attempt in range(settings.max_retries + 1):
                    started = time.perf_counter()
                    try:
                        reply = await peer.send(
                            text, context_id=context_id, task_id=task_id, on_text=on_text
                        )
                        self._called(request, peer, started, None)
                        break
                    except PeerError as exc:
                        self._called(request, peer, started, exc)
                        # Once text reached the listeners a second attempt would repeat it.
                        if not exc.retryable or streamed or attempt == settings.max_retries:
                            raise
                        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt)
                        await asyncio.sleep(random.random() * ceiling)
        except PeerError as exc:
            cut = f" (stream cut after {sum(map(len, streamed))} chars)" if streamed else ""
            raise ProviderError(
                f"{exc}{cut}", provider=A2A, retryable=exc.retryable, url=peer.url
            ) from None
        except TimeoutError:
            raise ProviderError(
                f"remote agent '{agent.id}' at {peer.url}: no reply within "
                f"deadline_secs={settings.deadline_secs:g}",
                provider=A2A,
                url=peer.url,
            ) from None
        if reply.state == "input-required":
            self._waiting[request.session_id] = (reply.task_id, reply.context_id)
        usage = Usage(reply.prompt_tokens or 0, reply.completion_tokens or 0)
        if reply.prompt_tokens is not None or reply.completion_tokens is not None:
            row: dict[str, Any] = {
                "run_id": request.run_id,
                "agent_id": agent.id,
                "provider": A2A,
                "model": agent.model or peer.url,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "cost_usd": None,
            }
            with journal.batch():
                journal.record_usage(activation_id=request.activation_id, **row)
                if bus.wanted(UsageRecorded):
                    bus.emit(UsageRecorded, **row)
        length = journal.append_session(
            request.session_id, agent.id, [Message("assistant", reply.text)]
        )
        return TurnOutcome(reply.text, usage=usage, calls=1, session_length=length)

    def _called(
        self, request: TurnRequest, peer: Peer, started: float, error: Exception | None
    ) -> None:
        """One attempt's `remote.call` (the A2A metrics count it, the tracer draws it)."""
        bus = self._services.bus
        if bus.wanted(RemoteCallCompleted):
            bus.emit(
                RemoteCallCompleted,
                run_id=request.run_id,
                agent_id=request.agent.id,
                protocol=A2A,
                target=request.agent.id,
                operation="message/stream" if peer.streams else "message/send",
                duration_s=time.perf_counter() - started,
                ok=error is None,
                error="" if error is None else str(error),
            )

    async def aclose(self) -> None:
        """Close the peers' connections (the runtime calls it on close)."""
        for _, peer in self._peers.values():
            await peer.aclose()
        self._peers.clear()


def remote_agent_backend(services: RemoteServices) -> RemoteAgentBackend:
    return RemoteAgentBackend(services)
