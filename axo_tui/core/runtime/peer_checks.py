"""A hosted runtime (`axo dev`, `axo serve`, `axo nats node`) checks its remote A2A agents'
cards at start, and those a config reload adds or changes, in the background: start never
waits on a peer, and each check gives up after a bounded time. A peer that is down, silent, serves no usable card, or asks for auth
the agent does not send is a RuntimeNotice naming the agent and the URL. Nothing is cached:
each agent's first turn fetches and checks the card again (a peer down at start may be up
by then).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from axo_tui.core.base.redact import redact_url
from axo_tui.core.events.catalog import RuntimeNotice
from axo_tui.core.runtime.backend import A2A, agent_kind

if TYPE_CHECKING:
    from axo_tui.core.config.schema import AgentConfig, Config
    from axo_tui.core.events.bus import EventBus


class PeerCheckHost(Protocol):
    """The runtime, as its peer checks use it (the runtime imports this module)."""

    config: Config
    bus: EventBus

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...


START_CHECK_SECS = 10.0
"""The longest a start-up check waits for a card (less when the agent's `timeout_secs` is)."""


def check_remote_agents(runtime: PeerCheckHost, previous: Config | None = None) -> None:
    """Start one background check per remote agent of the started `runtime`; after a
    reload from `previous`, per remote agent that is new or changed."""
    before = {agent.id: agent for agent in previous.agents} if previous is not None else {}
    for agent in runtime.config.agents:
        if agent_kind(agent) == A2A and agent.url and before.get(agent.id) != agent:
            runtime.spawn(_check(runtime, agent))


async def _check(runtime: PeerCheckHost, agent: AgentConfig) -> None:
    from axo_tui.core.a2a.card_check import fetch_card, missing_auth  # the SDK, only now
    from axo_tui.core.a2a.peer import PeerError

    url = agent.url or ""
    timeout = min(agent.a2a.timeout_secs, START_CHECK_SECS)
    headers = dict(agent.a2a.headers)
    try:
        card = await fetch_card(agent.id, url, headers, timeout=timeout)
    except PeerError as exc:
        later = "; its first turn will try again" if exc.retryable else ""
        _notice(runtime, agent, f"{exc}{later}")
        return
    gap = missing_auth(card, headers, agent.id)
    if gap is not None:
        _notice(runtime, agent, f"remote agent '{agent.id}' at {url}: {gap}")


def _notice(runtime: PeerCheckHost, agent: AgentConfig, message: str) -> None:
    url = agent.url or ""
    runtime.bus.emit(
        RuntimeNotice, agent_id=agent.id, message=message.replace(url, redact_url(url))
    )
