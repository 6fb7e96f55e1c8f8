"""What a cluster holds, for `axo nats status` and the tests: its streams, each agent's
queue of steps, and the record of events (every node's, through their outboxes)."""

from __future__ import annotations

import json
from typing import Any

from axo_tui.core.base.redact import redact_url
from axo_tui.core.config.nats_schema import NatsSettings
from axo_tui.core.distributed.connection import ClusterLink, connect


async def cluster_status(settings: NatsSettings, node: str, agents: list[str]) -> list[str]:
    from nats.js.errors import NotFoundError

    link = await connect(settings, f"{node}-status")
    try:
        names = link.names
        shown = ", ".join(redact_url(url) for url in settings.servers)  # a password in a URL
        lines = [f"servers: {shown} (prefix {names.prefix})"]
        for stream in (names.events_stream, names.work_stream):
            info = await link.js.stream_info(stream)
            lines.append(
                f"stream {stream}: {info.state.messages} messages, "
                f"{info.config.num_replicas} replica(s)"
            )
        for agent in agents:
            try:
                consumer = await link.js.consumer_info(
                    names.work_stream, names.work_consumer(agent)
                )
            except NotFoundError:
                lines.append(f"agent {agent}: no node has claimed its steps yet")
                continue
            lines.append(
                f"agent {agent}: {consumer.num_pending} waiting, "
                f"{consumer.num_ack_pending} claimed, {consumer.num_redelivered} redelivered"
            )
        return lines
    finally:
        await link.close()


async def recorded_events(link: ClusterLink, run_id: str | None = None) -> list[dict[str, Any]]:
    """The cluster's record of events (of one run), in the order JetStream stored them."""
    from nats.js.errors import NotFoundError

    names = link.names
    subject = names.run_events(run_id) if run_id is not None else names.events_subjects
    info = await link.js.stream_info(names.events_stream)
    events: list[dict[str, Any]] = []
    seq = info.state.first_seq
    while seq <= info.state.last_seq:
        try:
            message = await link.js.get_msg(names.events_stream, seq, next=True, subject=subject)
        except NotFoundError:
            break
        events.append(json.loads(message.data or b"{}"))
        seq = (message.seq or seq) + 1
    return events
