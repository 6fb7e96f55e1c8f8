"""A node connecting to a real nats-server that asks for a token, a user and password, or TLS
(server-only and mutual, with a CA made here): the right settings connect and set up the
streams; a wrong one gives an error that names the server and what it refused, never the
secret."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from axo_tui.core.config.nats_schema import NatsSettings, NatsTls
from axo_tui.core.distributed.connection import ClusterError, connect
from tests.support.nats_secure import Pki, make_pki, secure_server, tls_block

TOKEN = "tok-7f3a9c2e"
PASSWORD = "pw-4b1d8e6f"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def connects(settings: NatsSettings) -> str:
    """The names of the streams the node set up, or the ClusterError's message."""

    async def attempt() -> str:
        try:
            link = await connect(settings, "n1")
        except ClusterError as exc:
            return f"error: {exc}"
        try:
            return ",".join(sorted(str(info.config.name) for info in await link.js.streams_info()))
        finally:
            await link.close()

    return asyncio.run(attempt())


def test_a_token_server_takes_the_token_and_refuses_a_wrong_or_missing_one(
    tmp_path: Path,
) -> None:
    with secure_server(tmp_path, f'authorization {{ token: "{TOKEN}" }}') as server:
        good = connects(NatsSettings(servers=(server.url,), token=TOKEN, prefix="tok"))
        wrong = connects(NatsSettings(servers=(server.url,), token="not-" + TOKEN))
        missing = connects(NatsSettings(servers=(server.url,)))
    assert good == "KV_tok_field,KV_tok_runs,tok_events,tok_work"
    assert wrong == (
        f"error: cannot connect to NATS: {server.url} refused the token (`lattice.nats.token`):"
        " Authorization Violation; give the one the server expects"
    )
    assert TOKEN not in wrong
    assert missing.startswith(f"error: cannot connect to NATS: {server.url} requires credentials")


def test_a_user_and_password_in_the_url_connect_and_a_wrong_one_is_named_not_shown(
    tmp_path: Path,
) -> None:
    block = f'authorization {{ user: "axo", password: "{PASSWORD}" }}'
    with secure_server(tmp_path, block) as server:
        host = server.url.removeprefix("nats://")
        good = connects(NatsSettings(servers=(f"nats://axo:{PASSWORD}@{host}",), prefix="up"))
        wrong = connects(NatsSettings(servers=(f"nats://axo:x{PASSWORD}@{host}",)))
    assert good == "KV_up_field,KV_up_runs,up_events,up_work"
    assert wrong == (
        f"error: cannot connect to NATS: nats://[redacted]@{host} refused the user and password"
        " in the server's URL: Authorization Violation; give the one the server expects"
    )


def test_tls_with_the_ca_connects_and_an_unknown_ca_is_refused(tmp_path: Path, pki: Pki) -> None:
    with secure_server(tmp_path, tls_block(pki, verify=False)) as server:
        good = connects(NatsSettings(servers=(server.url,), tls=NatsTls(ca=pki.ca), prefix="t"))
        no_ca = connects(NatsSettings(servers=(server.url,)))
        rogue = connects(NatsSettings(servers=(server.url,), tls=NatsTls(ca=pki.rogue_ca)))
    assert good == "KV_t_field,KV_t_runs,t_events,t_work"
    assert no_ca.startswith(
        f"error: cannot connect to NATS: {server.url} showed a certificate no CA of this system"
        " trusts ("
    )
    assert no_ca.endswith("set `lattice.nats.tls.ca` to the CA that signed it")
    assert rogue.startswith(
        f"error: cannot connect to NATS: {server.url} showed a certificate the CA {pki.rogue_ca}"
        " (`lattice.nats.tls.ca`) did not sign ("
    )


def test_mutual_tls_needs_a_client_certificate_the_server_trusts(tmp_path: Path, pki: Pki) -> None:
    mine = NatsTls(ca=pki.ca, cert=pki.client_cert, key=pki.client_key)
    theirs = NatsTls(ca=pki.ca, cert=pki.rogue_client_cert, key=pki.rogue_client_key)
    with secure_server(tmp_path, tls_block(pki, verify=True)) as server:
        good = connects(NatsSettings(servers=(server.url,), tls=mine, prefix="m"))
        by_name = connects(
            NatsSettings(servers=(server.url.replace("127.0.0.1", "localhost"),), tls=mine)
        )
        none = connects(NatsSettings(servers=(server.url,), tls=NatsTls(ca=pki.ca)))
        rogue = connects(NatsSettings(servers=(server.url,), tls=theirs))
    assert good == "KV_m_field,KV_m_runs,m_events,m_work"
    assert "axo_events" in by_name.split(",")  # the certificate lists `localhost` too
    assert none == (
        f"error: cannot connect to NATS: {server.url} asks for a client certificate: set"
        " `lattice.nats.tls.cert` and `tls.key` (a certificate its CA signed, and its key)"
    )
    assert rogue.startswith(f"error: cannot connect to NATS: {server.url} ")
    assert f"the client certificate {pki.rogue_client_cert} (`lattice.nats.tls.cert`)" in rogue


def test_tls_set_against_a_server_without_tls_is_refused_not_sent_in_clear(
    tmp_path: Path, pki: Pki
) -> None:
    with secure_server(tmp_path) as server:
        said = connects(NatsSettings(servers=(server.url,), tls=NatsTls(ca=pki.ca)))
    assert said == (
        f"error: cannot connect to NATS: {server.url} does not ask for TLS, and"
        " `lattice.nats.tls` is set: give the server a `tls {}` block (or its TLS port), or"
        " drop `tls`"
    )


def test_a_second_server_is_tried_when_the_first_refuses(tmp_path: Path) -> None:
    with (
        secure_server(tmp_path / "a", 'authorization { token: "other" }') as other,
        secure_server(tmp_path / "b", f'authorization {{ token: "{TOKEN}" }}') as mine,
    ):
        said = connects(NatsSettings(servers=(other.url, mine.url), token=TOKEN, prefix="two"))
    assert said == "KV_two_field,KV_two_runs,two_events,two_work"


def test_tls_files_that_are_not_what_they_claim_are_named(tmp_path: Path, pki: Pki) -> None:
    with secure_server(tmp_path, tls_block(pki, verify=False)) as server:
        not_a_ca = connects(NatsSettings(servers=(server.url,), tls=NatsTls(ca=pki.client_key)))
        wrong_key = connects(
            NatsSettings(
                servers=(server.url,),
                tls=NatsTls(ca=pki.ca, cert=pki.client_cert, key=pki.server_key),
            )
        )
    assert not_a_ca.startswith(
        f"error: `lattice.nats.tls.ca` ({pki.client_key}) holds no CA certificate in PEM: "
    )
    assert wrong_key == (
        f"error: `lattice.nats.tls.cert` ({pki.client_cert}) and `key` ({pki.server_key}) are"
        " not a PEM certificate and its private key: key values mismatch"
    )


def test_credentials_without_the_nkeys_package_say_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "nkeys", None)  # `import nkeys` fails, as when absent
    creds = tmp_path / "user.creds"
    creds.write_text(
        "-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n"
        "-----BEGIN USER NKEY SEED-----\nSUAB\n------END USER NKEY SEED------\n"
    )
    with secure_server(tmp_path, f'authorization {{ token: "{TOKEN}" }}') as server:
        said = connects(NatsSettings(servers=(server.url,), credentials=creds))
    assert said == (
        f"error: `lattice.nats.credentials` ({creds}) needs the Python package `nkeys` to sign"
        " with its NKey: install it in axo's environment (`pip install nkeys`), or use a token"
    )
