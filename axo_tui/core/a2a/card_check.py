"""A peer's card checked ahead of any turn: fetched within a bounded time, then what it says
about calling the peer (who it is, whether it streams, whether the auth it asks for is
something the agent's `a2a.headers` send).

Shared by `axo doctor` and the hosted runtime's start-up check, so both say the same thing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from a2a.types import a2a_pb2 as pb

from axo_tui.core.a2a.peer import Peer, PeerError


async def fetch_card(
    agent_id: str, url: str, headers: Mapping[str, str], *, timeout: float
) -> pb.AgentCard:
    """The card of remote agent `agent_id`, checked as at its first turn, within `timeout`
    seconds; else PeerError naming the agent and the URL (`retryable` when the peer could
    not be reached: it may be up later)."""
    # The client's own timeouts outlast this one, so a silent peer is named as such.
    peer = Peer(agent_id, url, headers=headers, timeout_secs=timeout + 1)
    try:
        async with asyncio.timeout(timeout):
            return await peer.card()
    except TimeoutError:
        raise PeerError(
            f"remote agent '{agent_id}' at {url}: its agent card did not arrive within "
            f"{timeout:g} s",
            retryable=True,
        ) from None
    finally:
        await peer.aclose()


@dataclass(frozen=True)
class AuthGap:
    """Auth a card asks for that the agent does not send."""

    problem: str
    fix: str | None
    """The config to set, as YAML; None when axo cannot send what is asked."""

    def __str__(self) -> str:
        return f"{self.problem}: {self.fix}" if self.fix else self.problem


def describe(card: pb.AgentCard) -> str:
    """`card 'echo' version 1, streams, JSONRPC 1.0`."""
    who = f"card '{card.name}'" + (f" version {card.version}" if card.version else "")
    streams = "streams" if card.capabilities.streaming else "does not stream"
    bindings = ", ".join(
        dict.fromkeys(
            f"{i.protocol_binding} {i.protocol_version}".strip() for i in card.supported_interfaces
        )
    )
    return ", ".join(part for part in (who, streams, bindings) if part)


def missing_auth(card: pb.AgentCard, headers: Mapping[str, str], agent_id: str) -> AuthGap | None:
    """None when the agent's headers satisfy the auth the card asks for (or it asks for
    none); else what is missing and the config to set.

    A card lists its requirements as alternatives, each naming schemes all needed at once;
    a card that declares schemes but lists no requirement is taken to want any one of them.
    """
    sent = {name.lower() for name, value in headers.items() if value}
    alternatives = [list(r.schemes) for r in card.security_requirements] or [
        [name] for name in card.security_schemes
    ]
    if not alternatives:
        return None
    gaps: list[list[AuthGap]] = []
    for names in alternatives:
        missing = [
            need
            for name in names
            if (need := _need(name, card.security_schemes.get(name), sent, agent_id)) is not None
        ]
        if not missing:
            return None
        gaps.append(missing)
    fewest = min(gaps, key=len)  # the alternative closest to what the agent sends
    fixes = [gap.fix for gap in fewest if gap.fix]
    return AuthGap(
        "; ".join(gap.problem for gap in fewest),
        "; ".join(fixes) if len(fixes) == len(fewest) else None,
    )


def _need(
    name: str, scheme: pb.SecurityScheme | None, sent: set[str], agent_id: str
) -> AuthGap | None:
    """What scheme `name` needs that the agent does not send, or None."""
    kind = scheme.WhichOneof("scheme") if scheme is not None else None
    if kind == "api_key_security_scheme" and scheme is not None:
        key = scheme.api_key_security_scheme
        location = key.location.lower() or "header"
        header = {"header": key.name, "cookie": "Cookie"}.get(location)
        if header is None:
            return AuthGap(
                f"its card asks for an API key in the {location} ('{name}'), which axo cannot "
                "send (it sends only headers, `a2a.headers`)",
                None,
            )
        if header.lower() in sent:
            return None
        value = "${API_KEY}" if location == "header" else f"{key.name}=${{API_KEY}}"
        return AuthGap(
            f"its card asks for an API key in the `{key.name}` {location} ('{name}')",
            _set(agent_id, header, value),
        )
    if kind == "mtls_security_scheme":
        return AuthGap(
            f"its card asks for mutual TLS ('{name}'), which axo's A2A client cannot present",
            None,
        )
    if "authorization" in sent:
        return None
    if kind == "http_auth_security_scheme" and scheme is not None:
        http = scheme.http_auth_security_scheme.scheme or "auth"
        what, example = f"HTTP {http}", "Bearer ${TOKEN}" if http.lower() == "bearer" else "..."
    elif kind == "oauth2_security_scheme":
        what, example = "OAuth 2", "Bearer ${TOKEN}"
    elif kind == "open_id_connect_security_scheme":
        what, example = "OpenID Connect", "Bearer ${TOKEN}"
    else:  # a requirement naming a scheme the card does not declare
        what, example = "an undeclared", "..."
    return AuthGap(
        f"its card asks for {what} auth ('{name}')", _set(agent_id, "Authorization", example)
    )


def _set(agent_id: str, header: str, example: str) -> str:
    """The config key to set, as YAML."""
    return f"set `a2a: {{headers: {{{header}: \"{example}\"}}}}` on agent '{agent_id}'"
