"""`axo doctor`: each remote A2A agent (`provider: a2a`) serves a card axo can use.

One row `a2a:<agent id>` per remote agent: its card fetched where the SDK serves it
(`<url>/.well-known/agent-card.json`), parsed as the SDK's AgentCard and checked as at the
agent's first turn (a name, an A2A version and binding axo speaks), within a bounded time.
A card asking for auth the agent's `a2a.headers` do not send is a warning naming the key to
set. The headers' values never appear in a row.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from axo_tui.core.base.redact import redact_url
from axo_tui.core.config import Config
from axo_tui.core.config.schema import A2A_PROVIDER, AgentConfig
from axo_tui.core.doctor.egress import Endpoint
from axo_tui.core.doctor.model import CheckResult, fail, ok, warn

PREFIX = "a2a:"
MIN_TIMEOUT_SECS = 3.0
"""A card may take longer than a model list: the doctor waits at least this long for one."""


def remote_agents(config: Config) -> list[AgentConfig]:
    return [a for a in config.agents if a.provider == A2A_PROVIDER and a.url]


def a2a_endpoints(config: Config) -> list[Endpoint]:
    """Where the doctor's A2A checks may connect: the peers' hosts."""
    found = []
    for agent in remote_agents(config):
        parts = urlsplit(agent.url or "")
        if parts.hostname:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            found.append(Endpoint(parts.hostname.lower(), port, role="A2A peer"))
    return found


async def check_a2a_peers(config: Config, *, timeout: float) -> list[CheckResult]:
    """A row per remote agent, all fetched at once."""
    agents = remote_agents(config)
    if not agents:
        return []
    wait = min(max(timeout, MIN_TIMEOUT_SECS), MIN_TIMEOUT_SECS * 4)
    return list(await asyncio.gather(*(check_peer(agent, timeout=wait) for agent in agents)))


async def check_peer(agent: AgentConfig, *, timeout: float) -> CheckResult:
    from axo_tui.core.a2a.card_check import describe, fetch_card, missing_auth
    from axo_tui.core.a2a.peer import PeerError

    name = PREFIX + agent.id
    url = agent.url or ""
    shown = redact_url(url)
    card_tool = f"`axo a2a card {shown}` shows what it serves"
    try:
        card = await fetch_card(agent.id, url, dict(agent.a2a.headers), timeout=timeout)
    except PeerError as exc:  # unreachable or silent (retryable), or there but no usable card
        fix = (
            f"start the peer, or fix `url` of agent '{agent.id}'; {card_tool}"
            if exc.retryable
            else f"point `url` of agent '{agent.id}' at an A2A 1.0 or 0.3 agent (its card "
            f"is read from <url>/.well-known/agent-card.json); {card_tool}"
        )
        return fail(name, str(exc).replace(url, shown), fix)
    found = f"remote agent '{agent.id}' at {shown}: {describe(card)}"
    gap = missing_auth(card, dict(agent.a2a.headers), agent.id)
    if gap is not None:
        fix = gap.fix or "axo sends only headers (`a2a.headers`): ask the peer for header auth"
        return warn(name, f"{found}; {gap.problem}", fix)
    return ok(name, found)
