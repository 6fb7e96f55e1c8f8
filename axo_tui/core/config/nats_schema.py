"""`lattice: {backend: nats, nats: ..., placement: ...}`: the settings of a lattice spread
over several machines through NATS JetStream (docs/distributed.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class LatticeBackend(StrEnum):
    """Where the lattice lives: in this process (the default) or on a NATS cluster."""

    LOCAL = "local"
    NATS = "nats"


@dataclass(frozen=True)
class NatsTls:
    """TLS to the NATS servers: a CA to trust, and a client certificate when they ask one."""

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None


@dataclass(frozen=True)
class NatsSettings:
    servers: tuple[str, ...] = ("nats://127.0.0.1:4222",)
    token: str | None = None
    credentials: Path | None = None
    """A `.creds` file (user JWT and NKey seed), as `nsc` writes them."""
    tls: NatsTls | None = None
    node: str = ""
    """This node's name; empty: `$AXO_NODE`, else the host name."""
    lease_secs: float = 30.0
    """How long a claimed activation stays claimed without a heartbeat from its node."""
    replicas: int = 1
    """Copies of each stream and bucket: 3 on a three-server cluster."""
    prefix: str = "axo"
    """Names the streams, buckets and subjects: one prefix per project on a shared NATS."""
    dedupe_window_secs: float = 86_400.0
    """How long JetStream remembers a message id: a node may be down this long and still
    re-send its outbox without doubling an event."""
    run_ttl_secs: float = 7 * 86_400.0
    """How long a finished run's state stays in the cluster's bucket."""


@dataclass(frozen=True)
class ClusterSettings:
    backend: LatticeBackend = LatticeBackend.LOCAL
    nats: NatsSettings = field(default_factory=NatsSettings)
    placement: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Agent id -> the nodes that may run it; an agent not listed runs on any node."""

    def nodes_of(self, agent_id: str) -> tuple[str, ...] | None:
        for agent, nodes in self.placement:
            if agent == agent_id:
                return nodes
        return None
