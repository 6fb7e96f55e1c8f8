"""Before a node connects for good: is any server up, and does one take this node's TLS and
credentials? One attempt per server, each with a deadline, so a refusal is said at once
(the client itself would retry a refusing server for ever) and names the server and what
it refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from typing import Any
from urllib.parse import urlsplit

from axo_tui.core.base.redact import redact_url
from axo_tui.core.config.nats_schema import NatsSettings
from axo_tui.core.distributed.refusals import refusal

PROBE_SECS = 10.0
"""How long the first connection may take before a server is called silent."""

GREETING_SECS = 3.0


async def any_reachable(urls: tuple[str, ...]) -> str | None:
    """None when one server accepts a TCP connection; else why the last one did not."""
    reason = "no server given"
    for url in urls:
        said = await greeting(url)
        if not isinstance(said, str):
            return None
        reason = said
    return reason


async def first_refusal(settings: NatsSettings, options: dict[str, Any]) -> str | None:
    """None once a server takes the connection (servers tried in turn); else what each
    refused, one clause per server."""
    refused: list[str] = []
    for shown, url in zip(settings.servers, options["servers"], strict=True):
        said = await _refusal_of(url, settings, options)
        if said is None:
            return None
        refused.append(f"{redact_url(shown)} {said}")
    return "cannot connect to NATS: " + "; ".join(refused)


async def _refusal_of(url: str, settings: NatsSettings, options: dict[str, Any]) -> str | None:
    info = await greeting(url)
    if isinstance(info, str):
        return info
    context: ssl.SSLContext | None = options.get("tls")
    if info.get("tls_required"):
        # The handshake is tried here: the client leaves a failed one's socket open.
        failed = await _handshake(
            url, context or ssl.create_default_context(), verifies=bool(info.get("tls_verify"))
        )
        if failed is not None:
            return refusal(url, [failed], settings)
    elif settings.tls is not None and info:
        return (
            "does not ask for TLS, and `lattice.nats.tls` is set: give the server a "
            "`tls {}` block (or its TLS port), or drop `tls`"
        )
    return await _client_refusal(url, settings, options)


async def _client_refusal(url: str, settings: NatsSettings, options: dict[str, Any]) -> str | None:
    from nats.aio.client import Client
    from nats.errors import Error as NatsClientError

    failures: list[BaseException] = []

    async def on_error(exc: Exception) -> None:
        failures.append(exc)

    client = Client()
    probe = {**options, "servers": [url], "allow_reconnect": False}
    try:
        await asyncio.wait_for(client.connect(**probe, error_cb=on_error), PROBE_SECS)
    except TimeoutError:
        failures.append(TimeoutError(f"no answer in {PROBE_SECS:.0f} s"))
    except (OSError, NatsClientError, ssl.SSLError) as exc:
        failures.append(exc)
    else:
        await client.close()
        return None
    with contextlib.suppress(TimeoutError):  # closing a refused connection may hang on TLS
        await asyncio.wait_for(client.close(), GREETING_SECS)
    return refusal(url, failures, settings)


async def greeting(url: str) -> dict[str, Any] | str:
    """The server's INFO (what it offers, TLS among it: the client would talk in clear to a
    server that does not ask for TLS); {} when it sends none first; else why it could not
    be reached."""
    try:
        reader, writer = await _open(url)
    except TimeoutError:
        return f"no answer in {GREETING_SECS:.0f} s"
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        line = await asyncio.wait_for(reader.readline(), GREETING_SECS)
    except (TimeoutError, OSError):
        line = b""
    finally:
        await _close(writer)
    return _info(line)


VERDICT_SECS = 0.5
"""How long a server that verifies client certificates has to send its refusal."""


async def _handshake(url: str, context: ssl.SSLContext, *, verifies: bool) -> BaseException | None:
    """A TLS handshake as the client makes it (after the server's INFO); None when it holds.
    `verifies`: the server checks client certificates. In TLS 1.3 it says what it thinks of
    ours only after the handshake, in an alert; that is read here, before anything is
    written, or a write could meet the closed socket first and hide the reason."""
    try:
        reader, writer = await _open(url)
    except (TimeoutError, OSError) as exc:
        return exc
    try:
        await asyncio.wait_for(reader.readline(), GREETING_SECS)
        await asyncio.wait_for(
            writer.start_tls(context, server_hostname=urlsplit(url).hostname), PROBE_SECS
        )
        if verifies:
            with contextlib.suppress(TimeoutError):  # no alert: it took the certificate
                await asyncio.wait_for(reader.read(1), VERDICT_SECS)
    except (TimeoutError, OSError) as exc:  # ssl.SSLError is an OSError
        return exc
    finally:
        await _close(writer)
    return None


async def _open(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(url)
    return await asyncio.wait_for(
        asyncio.open_connection(parts.hostname or "127.0.0.1", parts.port or 4222),
        GREETING_SECS,
    )


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), GREETING_SECS)


def _info(line: bytes) -> dict[str, Any]:
    head, _, body = line.partition(b" ")
    if head != b"INFO":
        return {}
    try:
        info = json.loads(body)
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}
