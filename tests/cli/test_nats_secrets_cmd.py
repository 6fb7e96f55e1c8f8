"""`axo nats status|node` and `axo doctor` against a real nats-server that asks for a token,
a password or TLS, with the secrets in `${VAR}`s: a refusal names the server and what it
refused (exit 1, no traceback), and no output ever holds the secret."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import RunAxo
from tests.support.cluster_project import write_node
from tests.support.nats_secure import make_pki, secure_server, tls_block

TOKEN = "tok-5c8e1a7d"
PASSWORD = "pw-9d2f4b6a"


def with_lines(path: Path, *lines: str) -> Path:
    path.write_text(path.read_text() + "".join(f"    {line}\n" for line in lines))
    return path


def test_a_token_from_the_environment_is_used_and_never_shown(
    tmp_path: Path, run_axo: RunAxo
) -> None:
    with secure_server(tmp_path / "nats", f'authorization {{ token: "{TOKEN}" }}') as server:
        path = write_node(tmp_path / "p", node="n1", servers=[server.url], prefix="sec")
        with_lines(path, "token: ${NATS_TOKEN}")
        good = run_axo("--config", str(path), "nats", "status", env={"NATS_TOKEN": TOKEN})
        wrong = run_axo("--config", str(path), "nats", "status", env={"NATS_TOKEN": "x" + TOKEN})
        doctor = run_axo("--config", str(path), "doctor", env={"NATS_TOKEN": TOKEN})
    assert good.returncode == 0, good.stderr
    assert "stream sec_events: 0 messages" in good.stdout
    assert wrong.returncode == 1
    assert (
        f"cannot connect to NATS: {server.url} refused the token (`lattice.nats.token`): "
        "Authorization Violation" in wrong.stderr
    )
    assert "Traceback" not in wrong.stderr
    for result in (good, wrong, doctor):
        assert TOKEN not in result.stdout + result.stderr


def test_a_password_in_a_server_url_is_redacted_in_the_status(
    tmp_path: Path, run_axo: RunAxo
) -> None:
    block = f'authorization {{ user: "axo", password: "{PASSWORD}" }}'
    with secure_server(tmp_path / "nats", block) as server:
        host = server.url.removeprefix("nats://")
        url = f"nats://axo:${{NATS_PASSWORD}}@{host}"
        path = write_node(tmp_path / "p", node="n1", servers=[f'"{url}"'], prefix="pw")
        good = run_axo("--config", str(path), "nats", "status", env={"NATS_PASSWORD": PASSWORD})
        wrong = run_axo("--config", str(path), "nats", "status", env={"NATS_PASSWORD": "nope"})
    assert good.returncode == 0, good.stderr
    assert f"servers: nats://[redacted]@{host} (prefix pw)" in good.stdout
    assert wrong.returncode == 1
    assert (
        f"nats://[redacted]@{host} refused the user and password in the server's URL"
        in wrong.stderr
    )
    for result in (good, wrong):
        assert PASSWORD not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


def test_a_node_that_does_not_trust_the_servers_ca_says_so_and_exits(
    tmp_path: Path, run_axo: RunAxo
) -> None:
    pki = make_pki(tmp_path / "pki")
    with secure_server(tmp_path / "nats", tls_block(pki, verify=True)) as server:
        path = write_node(tmp_path / "p", node="n1", servers=[server.url], prefix="tls")
        with_lines(
            path,
            "tls:",
            f"  ca: {pki.rogue_ca}",
            f"  cert: {pki.client_cert}",
            f"  key: {pki.client_key}",
        )
        node = run_axo("--config", str(path), "nats", "node")
        trusted = path.read_text().replace(str(pki.rogue_ca), str(pki.ca))
        path.write_text(trusted)
        status = run_axo("--config", str(path), "nats", "status")
    assert node.returncode == 1
    assert (
        f"cannot connect to NATS: {server.url} showed a certificate the CA {pki.rogue_ca} "
        "(`lattice.nats.tls.ca`) did not sign" in node.stderr
    )
    assert "Traceback" not in node.stderr
    assert status.returncode == 0, status.stderr
    assert "stream tls_events: 0 messages" in status.stdout
