"""A nats-server that asks for a token, a user and password, or TLS (mutual or not), and the
certificates for it: a CA made here with `cryptography`, a server certificate for 127.0.0.1,
a client certificate, and a second CA nobody trusts. Each server is killed for real at the end.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.nats_cluster import free_port, server_binary, wait_port


@dataclass(frozen=True)
class Pki:
    """PEM files: `ca` signed `server` and `client`; `rogue_ca` signed `rogue_client`."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    rogue_ca: Path
    rogue_client_cert: Path
    rogue_client_key: Path


def make_pki(directory: Path) -> Pki:
    pytest.importorskip("cryptography")
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _authority("axo test CA")
    rogue_key, rogue_cert = _authority("someone else's CA")
    files = {
        "ca": _write(directory / "ca.pem", ca_cert),
        "rogue_ca": _write(directory / "rogue-ca.pem", rogue_cert),
    }
    for name, signer_key, signer_cert, server in (
        ("server", ca_key, ca_cert, True),
        ("client", ca_key, ca_cert, False),
        ("rogue_client", rogue_key, rogue_cert, False),
    ):
        key, cert = _leaf(name, signer_key, signer_cert, server=server)
        files[f"{name}_cert"] = _write(directory / f"{name}.pem", cert)
        files[f"{name}_key"] = _write(directory / f"{name}-key.pem", key)
    return Pki(**files)


def _authority(name: str) -> tuple[object, object]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    name: str, signer_key: object, signer_cert: object, *, server: bool
) -> tuple[object, object]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    assert isinstance(signer_key, ec.EllipticCurvePrivateKey)
    assert isinstance(signer_cert, x509.Certificate)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(signer_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
    return key, builder.sign(signer_key, hashes.SHA256())


def _write(path: Path, item: object) -> Path:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if isinstance(item, x509.Certificate):
        path.write_bytes(item.public_bytes(serialization.Encoding.PEM))
    else:
        assert isinstance(item, ec.EllipticCurvePrivateKey)
        path.write_bytes(
            item.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return path


@dataclass(frozen=True)
class SecureServer:
    url: str
    port: int
    log: Path


@contextlib.contextmanager
def secure_server(directory: Path, *lines: str) -> Iterator[SecureServer]:
    """One nats-server with JetStream on a free 127.0.0.1 port, plus the config `lines`
    (e.g. `authorization { token: "x" }` or a `tls { ... }` block)."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = directory / "server.conf"
    config.write_text(
        "\n".join(
            [
                f'listen: "127.0.0.1:{port}"',
                f'jetstream {{ store_dir: "{directory / "js"}" }}',
                *lines,
            ]
        )
        + "\n"
    )
    log = directory / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [server_binary(), "-c", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_port("127.0.0.1", port)
        yield SecureServer(f"nats://127.0.0.1:{port}", port, log)
    finally:
        process.kill()
        process.wait(10)


def tls_block(pki: Pki, *, verify: bool) -> str:
    """The server's `tls {}`: its certificate, and with `verify` the client's, from `ca`."""
    lines = [f'cert_file: "{pki.server_cert}"', f'key_file: "{pki.server_key}"']
    if verify:
        lines += [f'ca_file: "{pki.ca}"', "verify: true"]
    return "tls { " + ", ".join(lines) + " }"
