"""Connecting a node to NATS and making sure the project's streams and buckets exist.

Creation is idempotent: every node does it at start, whichever comes first. Right after a
cluster starts JetStream may still be electing its leader, so creation is retried for a
while, and a failure names the servers and the fix.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from axo_tui.core.base.errors import AxoError
from axo_tui.core.base.redact import redact_url
from axo_tui.core.config.nats_schema import NatsSettings
from axo_tui.core.distributed.creds import CredsError, load_creds
from axo_tui.core.distributed.names import Names
from axo_tui.core.distributed.probe import any_reachable, first_refusal

if TYPE_CHECKING:
    from pathlib import Path

    from nats.aio.client import Client
    from nats.js.client import JetStreamContext
    from nats.js.kv import KeyValue

SETUP_DEADLINE_SECS = 30.0
"""How long a node waits for JetStream to accept its streams (a leader election)."""


class ClusterError(AxoError):
    """NATS cannot be reached or refuses the project's streams; the message says which and why."""


@dataclass
class ClusterLink:
    """One node's connection: the client, JetStream, and the two buckets."""

    nc: Client
    js: JetStreamContext
    names: Names
    settings: NatsSettings
    runs: KeyValue
    field: KeyValue

    async def close(self) -> None:
        if not self.nc.is_closed:
            await self.nc.drain()


def _tls_context(settings: NatsSettings) -> ssl.SSLContext | None:
    tls = settings.tls
    wants_tls = any(url.startswith(("tls://", "wss://")) for url in settings.servers)
    if tls is None and not wants_tls:
        return None
    ca = tls.ca if tls is not None else None
    try:
        context = ssl.create_default_context(cafile=str(ca) if ca is not None else None)
    except (ssl.SSLError, OSError) as exc:
        raise ClusterError(
            f"`lattice.nats.tls.ca` ({ca}) holds no CA certificate in PEM: {_ssl_reason(exc)}"
        ) from None
    if tls is not None and tls.cert is not None and tls.key is not None:
        try:
            context.load_cert_chain(str(tls.cert), str(tls.key))
        except (ssl.SSLError, OSError) as exc:
            raise ClusterError(
                f"`lattice.nats.tls.cert` ({tls.cert}) and `key` ({tls.key}) are not a PEM "
                f"certificate and its private key: {_ssl_reason(exc)}"
            ) from None
    return context


def _creds_callbacks(settings: NatsSettings, path: Path) -> dict[str, Any]:
    """The JWT and nonce-signing callbacks of `lattice.nats.credentials`, the file checked
    first (the client's own reader hangs or raises mid-connect on a broken one)."""
    try:
        creds = load_creds(path)
    except ImportError:
        raise ClusterError(
            f"`lattice.nats.credentials` ({path}) needs the Python package `nkeys` to sign "
            "with its NKey: install it in axo's environment (`pip install nkeys`), or use a token"
        ) from None
    except CredsError as exc:
        servers = ", ".join(redact_url(url) for url in settings.servers)
        raise ClusterError(
            f"cannot connect to NATS at {servers} with `lattice.nats.credentials` ({path}): "
            f"it {exc}"
        ) from None
    return {"user_jwt_cb": creds.jwt_callback, "signature_cb": creds.sign_nonce}


def _ssl_reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason).replace("_", " ").lower() if reason else str(exc)


def _secured(url: str) -> str:
    """With `tls:` set, a `nats://` URL is dialled as `tls://`: the client would otherwise
    talk in clear to a server that does not ask for TLS."""
    return "tls://" + url.removeprefix("nats://") if url.startswith("nats://") else url


def connect_options(settings: NatsSettings, node: str) -> dict[str, Any]:
    """The client's options. Raises ClusterError when a TLS or `.creds` file cannot be
    loaded."""
    servers = list(settings.servers)
    if settings.tls is not None:
        servers = [_secured(url) for url in servers]
    options: dict[str, Any] = {
        "servers": servers,
        "name": f"axo:{node}",
        "connect_timeout": 5,
        "max_reconnect_attempts": -1,  # a partition heals: keep trying, the outbox waits
        "reconnect_time_wait": 0.5,
        "allow_reconnect": True,
    }
    if settings.token:
        options["token"] = settings.token
    if settings.credentials is not None:
        options.update(_creds_callbacks(settings, settings.credentials))
    context = _tls_context(settings)
    if context is not None:
        options["tls"] = context
    return options


async def connect(settings: NatsSettings, node: str) -> ClusterLink:
    """Connect and set up the streams and buckets. Raises ClusterError."""
    import nats

    _quiet_ssl_eof_warning()
    servers = ", ".join(redact_url(url) for url in settings.servers)
    options = connect_options(settings, node)
    reachable = await any_reachable(settings.servers)
    if reachable is not None:
        raise ClusterError(
            f"cannot connect to NATS at {servers}: {reachable}; start one with `axo nats up` "
            "or fix `lattice.nats.servers`"
        )
    refused = await first_refusal(settings, options)
    if refused is not None:
        raise ClusterError(refused)
    # Connected once with no retries (a clear error now); reconnect for good from here.
    nc = await nats.connect(**options, error_cb=_quiet)
    names = Names(settings.prefix)
    js = nc.jetstream(timeout=5)
    try:
        runs, field = await _set_up(js, names, settings)
    except ClusterError:
        await nc.close()
        raise
    return ClusterLink(nc, js, names, settings, runs, field)


def _quiet_ssl_eof_warning() -> None:
    """asyncio warns "returning true from eof_received() has no effect when using ssl" on
    each TLS connection the client closes (a CPython wart, harmless): not for the user."""
    logger = logging.getLogger("asyncio")
    if not any(isinstance(f, _SslEofFilter) for f in logger.filters):
        logger.addFilter(_SslEofFilter())


class _SslEofFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "eof_received()" not in record.getMessage()


async def _quiet(exc: Exception) -> None:
    """Connection errors after the first connect are retried by the client; not logged."""


async def _set_up(
    js: JetStreamContext, names: Names, settings: NatsSettings
) -> tuple[KeyValue, KeyValue]:
    from nats.js.api import (
        KeyValueConfig,
        RetentionPolicy,
        StorageType,
        StreamConfig,
    )
    from nats.js.errors import Error as JsError
    from nats.js.errors import NotFoundError

    window = settings.dedupe_window_secs
    streams = [
        StreamConfig(
            name=names.events_stream,
            subjects=[names.events_subjects],
            storage=StorageType.FILE,
            num_replicas=settings.replicas,
            duplicate_window=window,
        ),
        StreamConfig(
            name=names.work_stream,
            subjects=[names.work_subjects],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            num_replicas=settings.replicas,
            duplicate_window=window,
        ),
    ]
    deadline = time.monotonic() + SETUP_DEADLINE_SECS
    last = ""
    while True:
        try:
            for config in streams:
                try:
                    await js.stream_info(str(config.name))
                except NotFoundError:
                    await js.add_stream(config)
            runs = await _bucket(
                js,
                KeyValueConfig(
                    bucket=names.runs_bucket,
                    history=1,
                    ttl=settings.run_ttl_secs,
                    replicas=settings.replicas,
                    direct=False,  # reads from the leader: a completion just written is seen
                ),
            )
            field = await _bucket(
                js,
                KeyValueConfig(
                    bucket=names.field_bucket,
                    history=1,
                    replicas=settings.replicas,
                    direct=False,
                    limit_marker_ttl=1.0,  # lets each key carry its own TTL
                ),
            )
            return runs, field
        except (JsError, TimeoutError) as exc:
            last = str(exc) or type(exc).__name__
        if time.monotonic() > deadline:
            raise ClusterError(
                f"NATS JetStream did not accept the streams of prefix `{names.prefix}` "
                f"within {SETUP_DEADLINE_SECS:.0f}s ({last}); is JetStream on (`-js`), and are "
                f"`replicas: {settings.replicas}` servers up?"
            )
        await asyncio.sleep(0.5)


async def _bucket(js: JetStreamContext, config: Any) -> KeyValue:
    from nats.js.errors import BucketNotFoundError

    try:
        return await js.key_value(config.bucket)
    except BucketNotFoundError:
        return await js.create_key_value(config)
