"""Fixtures of the cluster tests: real nats-server processes, started and killed here."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.nats_cluster import NatsCluster, running_cluster


@pytest.fixture
def nats_one(tmp_path: Path) -> Iterator[NatsCluster]:
    """One nats-server with JetStream on a free 127.0.0.1 port."""
    with running_cluster(tmp_path / "nats", 1) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def nats_three(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsCluster]:
    """Three routed nats-servers on 127.0.0.1 (an R3 JetStream cluster), shared by a module's
    tests; each test uses a prefix of its own."""
    with running_cluster(tmp_path_factory.mktemp("nats3"), 3) as cluster:
        yield cluster


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"
