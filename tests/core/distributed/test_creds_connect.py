"""A node logging in with a `.creds` file (a user JWT and its NKey seed) to a real nats-server
in operator mode, the operator, accounts and users made offline here: the right file
connects and sets up JetStream; a user of an account the server does not know, or a broken
file, gives an error naming the server and the file, never the seed."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from axo_tui.core.config.nats_schema import NatsSettings
from axo_tui.core.distributed.connection import ClusterError, connect
from tests.support.nats_jwt import Operator, encode_jwt, make_operator, new_keys
from tests.support.nats_secure import secure_server

SEED_LINE = re.compile(r"^SU[A-Z2-7]{56}$", re.MULTILINE)


@dataclass(frozen=True)
class OperatorServer:
    operator: Operator
    url: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OperatorServer]:
    directory = tmp_path_factory.mktemp("operator")
    operator = make_operator()
    with secure_server(directory, *operator.server_lines(directory)) as running:
        yield OperatorServer(operator, running.url)


def seed_of(creds: Path) -> str:
    found = SEED_LINE.search(creds.read_text())
    assert found is not None, creds.read_text()
    return found.group(0)


def attempt(url: str, creds: Path, prefix: str = "axo") -> str:
    """The streams the node set up (of `prefix`: the server is shared) and the sequence of
    an event it published, or the ClusterError's message."""

    async def run() -> str:
        try:
            link = await connect(
                NatsSettings(servers=(url,), credentials=creds, prefix=prefix), "n1"
            )
        except ClusterError as exc:
            return f"error: {exc}"
        try:
            ack = await link.js.publish(link.names.run_events("r1"), b"{}")
            names = [str(info.config.name) for info in await link.js.streams_info()]
            streams = sorted(name for name in names if prefix in name.split("_"))
            return f"{','.join(streams)} seq {ack.seq} in {ack.stream}"
        finally:
            await link.close()

    return asyncio.run(run())


def test_a_users_creds_connect_and_set_up_jetstream(server: OperatorServer, tmp_path: Path) -> None:
    creds = server.operator.user_creds(tmp_path / "axo.creds")
    said = attempt(server.url, creds, prefix="cr")
    assert said == "KV_cr_field,KV_cr_runs,cr_events,cr_work seq 1 in cr_events"


def test_creds_written_with_windows_line_ends_connect(
    server: OperatorServer, tmp_path: Path
) -> None:
    creds = server.operator.user_creds(tmp_path / "axo.creds")
    creds.write_bytes(creds.read_bytes().replace(b"\n", b"\r\n"))
    said = attempt(server.url, creds, prefix="crlf")
    assert said == "KV_crlf_field,KV_crlf_runs,crlf_events,crlf_work seq 1 in crlf_events"


def test_a_user_of_an_account_the_server_does_not_know_is_refused_by_name(
    server: OperatorServer, tmp_path: Path
) -> None:
    stranger = server.operator.stranger
    creds = server.operator.user_creds(tmp_path / "stranger.creds", account=stranger)
    said = attempt(server.url, creds)
    assert said == (
        f"error: cannot connect to NATS: {server.url} refused the credentials in {creds}"
        " (`lattice.nats.credentials`): Authorization Violation; the server must know the"
        f" user's account {stranger.public}: give creds of an account its operator signed"
        " and its resolver holds"
    )
    assert seed_of(creds) not in said


def broken(good: str, how: str) -> str:
    """`good` creds text broken in one way."""
    jwt, seed = re.findall(r"^([\w\-.=]{40,})$", good, re.MULTILINE)
    if how == "no JWT":
        return good.replace("BEGIN NATS USER JWT", "BEGIN SOMETHING")
    if how == "no seed":
        return good.split("************************* IMPORTANT")[0]
    if how == "a JWT that is not one":
        return good.replace(jwt, "not-a-jwt")
    if how == "a seed that is not one":
        return good.replace(seed, seed[:-6] + "AAAA")
    if how == "another user's seed":
        return good.replace(seed, new_keys("user").seed.decode())
    assert how == "an account's JWT"
    account_jwt = encode_jwt(new_keys("account"), new_keys("operator"), "a", {"type": "account"})
    return good.replace(jwt, account_jwt)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("no JWT", "holds no `BEGIN NATS USER JWT` block"),
        ("no seed", "holds no `BEGIN USER NKEY SEED` block"),
        (
            "a JWT that is not one",
            "holds a user JWT that cannot be decoded (not three parts joined by dots)",
        ),
        ("a seed that is not one", "holds an NKey seed that is not valid"),
        ("another user's seed", "holds an NKey seed that is not the key of its JWT's user (axo U"),
        ("an account's JWT", "holds a JWT of type `account`, not a user's"),
    ],
)
def test_a_broken_creds_file_is_named_with_what_is_wrong_and_never_shows_the_seed(
    server: OperatorServer, tmp_path: Path, how: str, reason: str
) -> None:
    good = server.operator.user_creds(tmp_path / "good.creds").read_text()
    creds = tmp_path / "broken.creds"
    creds.write_text(broken(good, how))
    said = attempt(server.url, creds)
    assert said.startswith(
        f"error: cannot connect to NATS at {server.url} with `lattice.nats.credentials`"
        f" ({creds}): it {reason}"
    )
    assert said.endswith(": give the file `nsc generate creds` wrote for this user")
    for seed in SEED_LINE.findall(good + creds.read_text()):
        assert seed not in said
