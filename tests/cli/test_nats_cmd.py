"""`axo nats up|node|status`, run as a user runs them: real processes, a real nats-server."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

from tests.support.cli import RunAxo, axo_command, clean_env
from tests.support.cluster_project import write_node
from tests.support.nats_cluster import free_port, running_cluster, wait_port


def test_nats_up_serves_jetstream_until_sigterm(tmp_path: Path) -> None:
    import nats

    port = free_port()
    process = subprocess.Popen(
        [*axo_command(), "nats", "up", "--port", str(port), "--store", str(tmp_path / "js")],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_port("127.0.0.1", port, timeout=30)

        async def jetstream_answers() -> int:
            client = await nats.connect(f"nats://127.0.0.1:{port}")
            try:
                return (await client.jetstream().account_info()).streams
            finally:
                await client.close()

        assert asyncio.run(jetstream_answers()) == 0
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"nats://127.0.0.1:{port}" in out
    assert "backend: nats" in out  # the line to paste into axo.yaml
    assert (tmp_path / "js").is_dir()


def test_a_node_needs_the_nats_backend(tmp_path: Path, run_axo: RunAxo) -> None:
    path = write_node(tmp_path, node="n1", servers=["nats://127.0.0.1:1"], prefix="p")
    path.write_text(path.read_text().replace("backend: nats", "backend: local"))
    result = run_axo("--config", str(path), "nats", "node")
    assert result.returncode == 1
    assert "runs in one process" in result.stderr and "backend: nats" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_says_when_nats_is_unreachable(tmp_path: Path, run_axo: RunAxo) -> None:
    port = free_port()
    path = write_node(tmp_path, node="n1", servers=[f"nats://127.0.0.1:{port}"], prefix="p")
    result = run_axo("--config", str(path), "nats", "status")
    assert result.returncode == 1
    assert (
        f"cannot connect to NATS at nats://127.0.0.1:{port}: Connect call failed" in result.stderr
    )
    assert "axo nats up" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_lists_the_streams_and_each_agents_queue(tmp_path: Path, run_axo: RunAxo) -> None:
    with running_cluster(tmp_path / "nats", 1) as cluster:
        path = write_node(tmp_path / "p", node="n1", servers=cluster.urls, prefix="proj")
        result = run_axo("--config", str(path), "nats", "status")
    assert result.returncode == 0, result.stderr
    assert "stream proj_events: 0 messages" in result.stdout
    assert "stream proj_work: 0 messages" in result.stdout
    assert "agent a: no node has claimed its steps yet" in result.stdout
