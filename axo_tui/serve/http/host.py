"""What the HTTP app serves: one started runtime and the serve settings.

`ServeSettings.resolve` is where the exposure rule lives: open on loopback with no token,
refused anywhere else until a token is set.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from axo_tui.core.base.errors import AxoError

if TYPE_CHECKING:
    from axo_tui.core.config.schema import ServerConfig
    from axo_tui.core.runtime.runtime import Runtime

TOKEN_ENV = "AXO_API_TOKEN"
MAX_BODY_BYTES = 2 * 1024 * 1024
"""A request body larger than this is refused (413) before it is read ..."""
MAX_MODULE_BASE64 = 64 << 20
"""... but for a WASM deploy (`PUT /api/wasm/agents/{name}`), whose module this long in
base64 may be: a Python component alone is ~40 MB."""
MODULE_BODY_BYTES = MAX_MODULE_BASE64 + 64 * 1024
"""The deploy body: the module and its limits."""
LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


class ServeError(AxoError):
    """The server cannot start as asked (an exposed address without a token, a busy port)."""


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    tokens: tuple[str, ...] = ()
    """Accepted bearer tokens; none: the API is open (loopback only)."""
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = MAX_BODY_BYTES

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @classmethod
    def resolve(
        cls,
        server: ServerConfig,
        *,
        host: str | None = None,
        port: int | None = None,
        environ: dict[str, str] | None = None,
    ) -> ServeSettings:
        """The settings from the config's `server:` section, the command line (`host`,
        `port` win) and AXO_API_TOKEN. Raises ServeError for an address other than loopback
        with no token: the API runs agents and edits memory, so it is never open to a
        network by accident."""
        env = os.environ if environ is None else environ
        tokens = tuple(
            t for t in (env.get(TOKEN_ENV, ""), server.token, *server.api_keys) if t.strip()
        )
        settings = cls(
            host=host if host is not None else server.host,
            port=port if port is not None else server.port,
            tokens=tokens,
            cors_origins=server.cors_origins,
        )
        if not settings.loopback and not tokens:
            raise ServeError(
                f"refusing to serve on {settings.host} without a token: anyone who can reach "
                "it could run your agents and read their memory. Set one with "
                f"`export {TOKEN_ENV}=$(openssl rand -hex 32)` or `server: {{token: "
                "${MY_TOKEN}}` in axo.yaml, or bind to 127.0.0.1"
            )
        return settings

    def accepts(self, token: str) -> bool:
        """Whether `token` is one of ours, compared in constant time (each one is tried, so
        the time does not tell which one came close)."""
        given = token.encode()
        found = False
        for expected in self.tokens:
            found |= hmac.compare_digest(given, expected.encode())
        return found


@dataclass
class ServeHost:
    """The started runtime the routes act on, and how it is served. Routes reach it as
    `request.app.state.host`."""

    runtime: Runtime
    settings: ServeSettings = field(default_factory=ServeSettings)
    accepting: bool = True
    """False once shutting down: new runs are refused (503) while the running ones stop."""
