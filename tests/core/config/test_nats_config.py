"""`lattice: {backend: nats, nats: ..., placement: ...}`: read, and every mistake reported
with its position and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from axo_tui.core.config import ConfigError, load_config_text
from axo_tui.core.config.nats_schema import LatticeBackend

AGENTS = """
agents:
  - {id: a, provider: scripted}
  - {id: b, provider: scripted, depends_on: [a]}
"""


def load(text: str, tmp_path: Path, **environ: str):  # type: ignore[no-untyped-def]
    return load_config_text(AGENTS + text, tmp_path / "axo.yaml", environ=environ)


def problems(text: str, tmp_path: Path) -> list[tuple[int, str, str]]:
    with pytest.raises(ConfigError) as caught:
        load(text, tmp_path)
    return [(p.line, p.code, p.message) for p in caught.value.errors]


def test_the_default_lattice_is_one_process(tmp_path: Path) -> None:
    config = load("lattice: {threshold: 0.5}\n", tmp_path)
    assert config.lattice.cluster.backend is LatticeBackend.LOCAL
    assert load("", tmp_path).lattice.cluster.backend is LatticeBackend.LOCAL


def test_a_cluster_is_read_with_its_paths_and_placement(tmp_path: Path) -> None:
    (tmp_path / "user.creds").write_text("creds")
    (tmp_path / "ca.pem").write_text("pem")
    config = load(
        """
lattice:
  backend: nats
  nats:
    servers: [nats://10.0.0.2:4222, tls://10.0.0.3:4222]
    credentials: user.creds
    tls: {ca: ca.pem}
    node: ${NODE}
    replicas: 3
    lease_secs: 5
  placement:
    a: n1
    b: [n1, n2]
""",
        tmp_path,
        NODE="kitchen-pi",
    )
    cluster = config.lattice.cluster
    assert cluster.backend is LatticeBackend.NATS
    assert cluster.nats.servers == ("nats://10.0.0.2:4222", "tls://10.0.0.3:4222")
    assert cluster.nats.credentials == tmp_path / "user.creds"
    assert cluster.nats.tls is not None and cluster.nats.tls.ca == tmp_path / "ca.pem"
    assert (cluster.nats.node, cluster.nats.replicas, cluster.nats.lease_secs) == (
        "kitchen-pi",
        3,
        5,
    )
    assert cluster.nodes_of("a") == ("n1",) and cluster.nodes_of("b") == ("n1", "n2")
    assert cluster.nodes_of("c") is None


def test_mistakes_are_named_with_their_line(tmp_path: Path) -> None:
    found = problems(
        """
lattice:
  backend: nats
  nats:
    servers: [http://10.0.0.2:4222]
    token: x
    credentials: nowhere.creds
    tls: {cert: c.pem}
    prefix: "a.b"
    sevrers: []
  placement:
    zed: n1
    b: {n1: true}
""",
        tmp_path,
    )
    codes = {(line, code) for line, code, _ in found}
    assert (9, "invalid-url") in codes
    assert (10, "conflicting-keys") in codes
    assert (11, "missing-file") in codes
    assert (12, "missing-file") in codes  # c.pem
    assert any(code == "missing-key" for _, code in codes)  # cert without key
    assert (13, "invalid-id") in codes
    assert (14, "unknown-key") in codes
    assert (16, "unknown-reference") in codes
    assert (17, "wrong-type") in codes
    messages = " ".join(message for _, _, message in found)
    assert "http://10.0.0.2:4222" in messages and "zed" in messages


def test_an_agent_lattice_takes_no_cluster_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text(
            "agents:\n  - {id: a, provider: scripted, lattice: {backend: nats}}\n",
            tmp_path / "axo.yaml",
        )
    assert [p.code for p in caught.value.errors] == ["unknown-key"]
