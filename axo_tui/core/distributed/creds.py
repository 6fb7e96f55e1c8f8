"""A NATS `.creds` file (a user JWT and the user's NKey seed, as `nsc generate creds` writes
it), read and checked before any server is dialled, and the two callbacks the client signs
the server's nonce with.

The client's own reader loops for ever on a file without a JWT block, and raises from
inside the connection on a bad seed: a file is checked here, so a broken one is named with
what is wrong with it. The seed is never put in a message.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axo_tui.core.base.errors import AxoError

# `-----BEGIN NATS USER JWT-----`, a line of base64 or base32, `------END NATS USER JWT------`
_BLOCK = re.compile(
    r"^[ \t]*-{3,}[ \t]*BEGIN ([A-Z ]+?)[ \t]*-{3,}[ \t]*\r?\n\s*([\w\-.=]+)[ \t]*\r?\n"
    r"[ \t]*-{3,}[ \t]*END \1[ \t]*-{3,}",
    re.MULTILINE,
)
_FIX = "give the file `nsc generate creds` wrote for this user"


class CredsError(AxoError, ValueError):
    """What is wrong with a `.creds` file, in a clause that follows its name."""


@dataclass(frozen=True)
class UserCreds:
    """A user's JWT and seed; `user` and `account` are public keys (`U...`, `A...`)."""

    jwt: str
    user: str
    account: str
    _seed: bytes = field(repr=False)

    def jwt_callback(self) -> bytes:
        return self.jwt.encode()

    def sign_nonce(self, nonce: str) -> bytes:
        """The server's nonce signed with the user's key, base64 (as the client sends it)."""
        pair = _nkeys().from_seed(bytearray(self._seed))
        try:
            return base64.b64encode(pair.sign(nonce.encode()))
        finally:
            pair.wipe()


def load_creds(path: Path) -> UserCreds:
    """The user in `path`. Raises CredsError saying what is wrong, ImportError without
    the `nkeys` package."""
    nkeys = _nkeys()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise CredsError(f"cannot be read ({reason})") from None
    blocks: list[tuple[str, str]] = _BLOCK.findall(text)
    jwt = next((value for name, value in blocks if name.endswith("JWT")), None)
    seed = next((value for name, value in blocks if name.endswith("SEED")), None)
    if jwt is None:
        raise CredsError(f"holds no `BEGIN NATS USER JWT` block: {_FIX}")
    if seed is None:
        raise CredsError(f"holds no `BEGIN USER NKEY SEED` block: {_FIX}")
    claims = _claims(jwt)
    if _kind(claims) != "user":
        what = f"of type `{_kind(claims)}`" if _kind(claims) else "with no `nats.type`"
        raise CredsError(f"holds a JWT {what}, not a user's: {_FIX}")
    try:
        pair = nkeys.from_seed(bytearray(seed.encode()))
        public = pair.public_key.decode()
        pair.wipe()
    except (nkeys.NkeysError, ValueError, TypeError):  # nacl rejects a seed of a bad length
        raise CredsError(f"holds an NKey seed that is not valid: {_FIX}") from None
    if public != claims.get("sub"):
        raise CredsError(
            f"holds an NKey seed that is not the key of its JWT's user ({claims.get('name', '')}"
            f" {claims.get('sub')}): {_FIX}"
        )
    return UserCreds(jwt, public, str(claims.get("iss", "")), seed.encode())


def _claims(jwt: str) -> dict[str, Any]:
    parts = jwt.split(".")
    try:
        if len(parts) != 3:
            raise ValueError("not three parts joined by dots")
        body = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(body)
    except (ValueError, binascii.Error) as exc:
        raise CredsError(f"holds a user JWT that cannot be decoded ({exc}): {_FIX}") from None
    if not isinstance(claims, dict):
        raise CredsError(f"holds a user JWT whose claims are not an object: {_FIX}")
    return claims


def _kind(claims: dict[str, Any]) -> str:
    """`nats.type` of a v2 JWT; a v1 JWT (older `nsc`) has it at the top."""
    nats = claims.get("nats")
    kind = nats.get("type") if isinstance(nats, dict) else None
    return str(kind or claims.get("type") or "")


def _nkeys() -> Any:
    """The `nkeys` module (untyped, and optional for nats-py: imported by name)."""
    return importlib.import_module("nkeys")
