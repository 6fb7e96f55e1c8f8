"""NATS decentralized (operator-mode) auth made offline for the tests: an operator, a system
account, an account with JetStream, users, their `.creds` files, and the server config that
trusts them (`operator`, `system_account`, `resolver: MEMORY`, `resolver_preload`).

The JWTs follow the nats-io/jwt v2 schema: a header {"typ": "JWT", "alg": "ed25519-nkey"},
claims `jti` (the base32 SHA-512/256 of the claims without it), `iat`, `iss` (the signer's
public key), `sub`, `name` and `nats: {type, version: 2, ...}`, signed with the issuer's
NKey; each part is unpadded base64url, as the Go library writes them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

UNLIMITED = -1

# Without JetStream limits an account has no JetStream: every -1 is "no limit".
JETSTREAM_LIMITS = {
    "mem_storage": UNLIMITED,
    "disk_storage": UNLIMITED,
    "streams": UNLIMITED,
    "consumer": UNLIMITED,
}
ACCOUNT_LIMITS = {
    "subs": UNLIMITED,
    "data": UNLIMITED,
    "payload": UNLIMITED,
    "imports": UNLIMITED,
    "exports": UNLIMITED,
    "wildcards": True,
    "conn": UNLIMITED,
    "leaf": UNLIMITED,
}


@dataclass(frozen=True)
class Keys:
    """An NKey pair: the public key (`O...`, `A...`, `U...`) and its seed (`SO...`, ...)."""

    public: str
    seed: bytes = field(repr=False)

    def sign(self, data: bytes) -> bytes:
        import nkeys

        pair = nkeys.from_seed(bytearray(self.seed))
        try:
            return bytes(pair.sign(data))
        finally:
            pair.wipe()


def new_keys(kind: str) -> Keys:
    """A fresh key pair of `kind`: operator, account or user."""
    nkeys = pytest.importorskip("nkeys")
    prefix = {
        "operator": nkeys.PREFIX_BYTE_OPERATOR,
        "account": nkeys.PREFIX_BYTE_ACCOUNT,
        "user": nkeys.PREFIX_BYTE_USER,
    }[kind]
    seed = bytes(nkeys.encode_seed(os.urandom(32), prefix))
    pair = nkeys.from_seed(bytearray(seed))
    public = pair.public_key.decode()
    pair.wipe()
    return Keys(public, seed)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode_jwt(subject: Keys, issuer: Keys, name: str, nats: dict[str, Any]) -> str:
    """A v2 JWT about `subject`, signed by `issuer`."""
    claims: dict[str, Any] = {
        "iat": int(time.time()),
        "iss": issuer.public,
        "name": name,
        "sub": subject.public,
        "nats": {**nats, "version": 2},
    }
    digest = hashlib.new("sha512_256", json.dumps(claims).encode()).digest()
    claims["jti"] = base64.b32encode(digest).rstrip(b"=").decode()
    header = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = issuer.sign(f"{header}.{body}".encode())
    return f"{header}.{body}.{_b64(signature)}"


def creds_text(user_jwt: str, user: Keys) -> str:
    """A `.creds` file as `nsc generate creds` writes it."""
    return (
        f"-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n"
        "************************* IMPORTANT *************************\n"
        "NKEY Seed printed below can be used to sign and prove identity.\n"
        "NKEYs are sensitive and should be treated as secrets.\n\n"
        f"-----BEGIN USER NKEY SEED-----\n{user.seed.decode()}\n------END USER NKEY SEED------\n\n"
        "*************************************************************\n"
    )


@dataclass(frozen=True)
class Operator:
    """An operator, its system account and one JetStream account the server knows; a second
    account it does not know. `server_lines()` is the server's config for them."""

    keys: Keys
    jwt: str
    system: Keys
    system_jwt: str
    account: Keys
    account_jwt: str
    stranger: Keys
    """An account the server was not told about (its JWT is preloaded nowhere)."""

    def user_creds(self, path: Path, name: str = "axo", *, account: Keys | None = None) -> Path:
        """A `.creds` file for a new user of `account` (the JetStream account by default)."""
        signer = account or self.account
        user = new_keys("user")
        user_jwt = encode_jwt(
            user,
            signer,
            name,
            {"type": "user", "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1},
        )
        path.write_text(creds_text(user_jwt, user))
        return path

    def server_lines(self, directory: Path) -> list[str]:
        operator_file = directory / "operator.jwt"
        operator_file.write_text(self.jwt)
        return [
            f'operator: "{operator_file}"',
            f"system_account: {self.system.public}",
            "resolver: MEMORY",
            "resolver_preload: {",
            f'  {self.system.public}: "{self.system_jwt}"',
            f'  {self.account.public}: "{self.account_jwt}"',
            "}",
        ]


def _account_jwt(account: Keys, operator: Keys, name: str, *, jetstream: bool) -> str:
    limits = {**ACCOUNT_LIMITS, **(JETSTREAM_LIMITS if jetstream else {})}
    return encode_jwt(
        account,
        operator,
        name,
        {
            "type": "account",
            "limits": limits,
            "default_permissions": {"pub": {}, "sub": {}},
        },
    )


def make_operator() -> Operator:
    operator = new_keys("operator")
    system = new_keys("account")
    account = new_keys("account")
    operator_jwt = encode_jwt(
        operator, operator, "axo-test", {"type": "operator", "system_account": system.public}
    )
    return Operator(
        keys=operator,
        jwt=operator_jwt,
        system=system,
        system_jwt=_account_jwt(system, operator, "SYS", jetstream=False),
        account=account,
        account_jwt=_account_jwt(account, operator, "APP", jetstream=True),
        stranger=new_keys("account"),
    )
