"""`axo nats status` and `axo doctor` with `lattice.nats.credentials`, against a real
nats-server in operator mode: the right `.creds` file connects, a refused or broken one
exits 1 naming the server and the file, and no output ever holds the user's NKey seed."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.cli import RunAxo
from tests.support.cluster_project import write_node
from tests.support.nats_jwt import make_operator
from tests.support.nats_secure import secure_server


def with_creds(path: Path, creds: Path) -> Path:
    path.write_text(path.read_text() + f"    credentials: {creds}\n")
    return path


def seed_of(creds: Path) -> str:
    found = re.search(r"^SU[A-Z2-7]{56}$", creds.read_text(), re.MULTILINE)
    assert found is not None
    return found.group(0)


def test_creds_connect_and_a_refused_or_broken_file_is_named_never_shown(
    tmp_path: Path, run_axo: RunAxo
) -> None:
    operator = make_operator()
    good = operator.user_creds(tmp_path / "axo.creds")
    stranger = operator.user_creds(tmp_path / "stranger.creds", account=operator.stranger)
    broken = tmp_path / "broken.creds"
    broken.write_text(good.read_text().replace("BEGIN NATS USER JWT", "BEGIN NOTHING"))
    directory = tmp_path / "nats"
    directory.mkdir()
    with secure_server(directory, *operator.server_lines(directory)) as server:
        results = {}
        for name, creds in (("good", good), ("stranger", stranger), ("broken", broken)):
            path = write_node(tmp_path / name, node="n1", servers=[server.url], prefix="cr")
            with_creds(path, creds)
            results[name] = run_axo("--config", str(path), "nats", "status")
        doctor = run_axo("--config", str(tmp_path / "good" / "axo.yaml"), "doctor")
    assert results["good"].returncode == 0, results["good"].stderr
    assert f"servers: {server.url} (prefix cr)" in results["good"].stdout
    assert "stream cr_events: 0 messages" in results["good"].stdout
    assert results["stranger"].returncode == 1
    assert (
        f"cannot connect to NATS: {server.url} refused the credentials in {stranger}"
        " (`lattice.nats.credentials`): Authorization Violation" in results["stranger"].stderr
    )
    assert results["broken"].returncode == 1
    assert (
        f"cannot connect to NATS at {server.url} with `lattice.nats.credentials` ({broken}):"
        " it holds no `BEGIN NATS USER JWT` block" in results["broken"].stderr
    )
    seeds = [seed_of(good), seed_of(stranger)]
    for result in (*results.values(), doctor):
        assert "Traceback" not in result.stderr
        for seed in seeds:
            assert seed not in result.stdout + result.stderr
