"""`axo nats up --servers 3` as a user runs it: a real 3-server JetStream cluster on
127.0.0.1, the line to paste into axo.yaml, and Ctrl+C or SIGTERM leaving no nats-server
behind; busy ports refused before anything starts."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import axo_command, clean_env
from tests.support.nats_cluster import pid_alive, wait_port


def free_block(count: int) -> int:
    """A port P with P..P+count-1 and P+1000.. free (the cluster's client and route ports)."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + 1000 + count > 65535:
            continue
        wanted = [port + i for i in range(count)] + [port + 1000 + i for i in range(count)]
        if all(_free(p) for p in wanted):
            return port
    raise AssertionError("no block of free ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def servers_of(store: Path) -> list[int]:
    """The pids of the nats-servers whose config lives in `store` (theirs alone)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            command
            and command[0].endswith(b"nats-server")
            and str(store).encode() in b" ".join(command)
        ):
            pids.append(int(entry.name))
    return pids


def wait_until(condition: object, timeout: float = 60) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


async def r3_stream_replicas(urls: list[str]) -> int:
    """Creates an R3 stream (it needs all three servers in one JetStream cluster) and
    returns how many servers hold it; retries while the cluster elects its leader."""
    import nats
    from nats.js.api import StreamConfig
    from nats.js.errors import Error as JsError

    client = await nats.connect(urls)
    try:
        js = client.jetstream(timeout=5)
        deadline = time.monotonic() + 60
        while True:
            try:
                info = await js.add_stream(
                    StreamConfig(name="r3", subjects=["r3.>"], num_replicas=3)
                )
                break
            except (JsError, TimeoutError):
                assert time.monotonic() < deadline, "the cluster never took an R3 stream"
                await asyncio.sleep(0.5)
        await js.publish("r3.x", b"hello")
        cluster = info.cluster
        assert cluster is not None
        return 1 + len(cluster.replicas or [])
    finally:
        await client.close()


@pytest.fixture
def cluster_up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    port = free_block(3)
    store = tmp_path / "js"
    process = subprocess.Popen(
        [
            *axo_command(),
            "nats",
            "up",
            "--servers",
            "3",
            "--port",
            str(port),
            "--store",
            str(store),
        ],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        yield process, port, store
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)
        for pid in servers_of(store):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_three_servers_make_one_jetstream_cluster_and_stop_with_axo(
    cluster_up: tuple[subprocess.Popen[str], int, Path], how: str
) -> None:
    process, port, store = cluster_up
    urls = [f"nats://127.0.0.1:{port + i}" for i in range(3)]
    for i in range(3):
        wait_port("127.0.0.1", port + i, timeout=60)
    assert asyncio.run(r3_stream_replicas(urls)) == 3
    wait_until(lambda: len(servers_of(store)) == 3)
    pids = servers_of(store)
    if how == "ctrl-c":  # the terminal sends SIGINT to the whole foreground group
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert not [pid for pid in pids if pid_alive(pid)]
    assert servers_of(store) == []
    assert f"a 3-server cluster with JetStream: {', '.join(urls)}" in out
    assert f"lattice: {{backend: nats, nats: {{servers: [{', '.join(urls)}], replicas: 3}}}}" in out
    assert "Traceback" not in err


def test_servers_do_not_outlive_a_killed_axo(
    cluster_up: tuple[subprocess.Popen[str], int, Path],
) -> None:
    process, port, store = cluster_up
    for i in range(3):
        wait_port("127.0.0.1", port + i, timeout=60)
    wait_until(lambda: len(servers_of(store)) == 3)
    pids = servers_of(store)
    process.kill()  # kill -9: axo stops nothing itself
    process.communicate(timeout=30)
    wait_until(lambda: not [pid for pid in pids if pid_alive(pid)], timeout=30)
    assert servers_of(store) == []


@pytest.mark.parametrize("busy", [1, 1001])
def test_a_busy_port_is_refused_before_any_server_starts(tmp_path: Path, busy: int) -> None:
    port = free_block(3)
    store = tmp_path / "js"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port + busy))
        holder.listen()
        result = subprocess.run(
            [
                *axo_command(),
                "nats",
                "up",
                "--servers",
                "3",
                "--port",
                str(port),
                "--store",
                str(store),
            ],
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    kind = "client" if busy < 1000 else "cluster"
    assert result.returncode == 1
    assert f"port {port + busy} ({kind} port of server 2) is in use on 127.0.0.1" in result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr
    assert servers_of(store) == []
