"""Projects for the cluster tests: one directory per node, the same agents and workflow in
each, a node name and the NATS servers of their own, and the processes that run them.

    a -> b -> c -+
    a -> d ------+-> e
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from axo_tui.core.runtime.build import open_state
from tests.support.cli import axo_command

AGENTS = ("a", "b", "c", "d", "e")
DEPENDS: dict[str, tuple[str, ...]] = {
    "a": (),
    "b": ("a",),
    "c": ("b",),
    "d": ("a",),
    "e": ("c", "d"),
}
ROOT = Path(__file__).resolve().parents[2]


def write_node(
    directory: Path,
    *,
    node: str,
    servers: Sequence[str],
    prefix: str,
    provider: Sequence[str] | None = None,
    placement: Mapping[str, Sequence[str]] | None = None,
    agents: Sequence[str] = AGENTS,
    depends: Mapping[str, Sequence[str]] = DEPENDS,
    lease_secs: float = 2,
    replicas: int = 1,
    workflow: str = "flow",
    members: Sequence[str] | None = None,
    recall: bool = True,
) -> Path:
    """axo.yaml of one node; returns its path. `provider`: the YAML lines of a provider
    named `p` (default: scripted replies naming the agent); `members`: the workflow's
    agents (default: all of them)."""
    lines = ["name: cluster", "agents:"]
    for agent in agents:
        lines += [f"  - id: {agent}", "    provider: p", f"    model: {agent}"]
        if not recall:  # no embedding per step: what is timed is the lattice
            lines.append("    memory: {recall: {passive_inject: false}}")
        if depends.get(agent):
            lines.append(f"    depends_on: [{', '.join(depends[agent])}]")
    members = agents if members is None else members
    lines += ["workflows:", f"  - id: {workflow}", f"    agents: [{', '.join(members)}]"]
    lines += ["providers:", "  p:"]
    if provider is None:
        lines += ["    kind: scripted", "    replies:"]
        for agent in agents:
            lines.append(f'      {agent}: ["{agent} done"]')
    else:
        lines += [f"    {line}" for line in provider]
    lines += [
        "lattice:",
        "  backend: nats",
        "  nats:",
        f"    servers: [{', '.join(servers)}]",
        f"    node: {node}",
        f"    prefix: {prefix}",
        f"    lease_secs: {lease_secs}",
        f"    replicas: {replicas}",
    ]
    if placement:
        lines.append("  placement:")
        for agent, nodes in placement.items():
            lines.append(f"    {agent}: [{', '.join(nodes)}]")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "axo.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def local_events(directory: Path, run_id: str | None = None) -> list[dict[str, object]]:
    """The events a node's own journal holds (of one run)."""
    state = open_state(directory / ".axo")
    try:
        return [e.to_dict() for e in state.events(run_id=run_id, limit=100_000)]
    finally:
        state.close()


def started_in_journal(directory: Path, agent_id: str, timeout: float = 30) -> None:
    """Wait until a node's journal holds `agent_id`'s activation as begun (committed, so on
    record): the moment a kill cuts its step."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(
            e["kind"] == "agent.activated" and e["agent_id"] == agent_id
            for e in local_events(directory)
        ):
            return
        time.sleep(0.02)
    raise AssertionError(f"{agent_id} never started in {directory}")


def journal_id(directory: Path, prefix: str) -> str:
    """The id a node's outbox gives its journal in the record."""
    data = json.loads((directory / ".axo" / "cluster" / f"outbox-{prefix}.json").read_text())
    return str(data["journal_id"])


def settled(
    record: Sequence[Mapping[str, object]], directories: Sequence[Path], run_id: str, prefix: str
) -> bool:
    """Whether the record holds the run's end and every event the nodes journaled for the
    run, and every activation they began has ended (a run superseded late may end after
    the run itself)."""
    if not any(e["kind"] == "run.completed" for e in record):
        return False
    recorded = {(e["journal_id"], e["seq"]) for e in record}
    for directory in directories:
        events = local_events(directory, run_id)
        begun = {e["activation_id"] for e in events if e["kind"] == "agent.activated"}
        ends = ("agent.completed", "agent.failed")
        ended = {e["activation_id"] for e in events if e["kind"] in ends}
        jid = journal_id(directory, prefix)
        if begun - ended or any((jid, e["seq"]) not in recorded for e in events):
            return False
    return True


@dataclass
class NodeProcess:
    """`axo nats node` for one node's project, as a real process (killed for real)."""

    name: str
    config: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.config.parent / "node.log"

    def start(self) -> NodeProcess:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "AXO_NO_UPDATE_CHECK": "1"}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*axo_command(), "--config", str(self.config), "nats", "node"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.config.parent,
            )
        return self

    def wait_ready(self, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready" in self.log.read_text(errors="replace"):
                return
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"node {self.name} exited: {self.log.read_text()}")
            time.sleep(0.05)
        raise AssertionError(f"node {self.name} not ready: {self.log.read_text()}")

    def pause(self) -> None:
        """SIGSTOP: the node stalls as a loaded machine may stall it (no heartbeat, no I/O)."""
        assert self.process is not None and self.process.poll() is None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a paused node cannot hear SIGTERM
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()
