"""A proactive agent fired by the shared field on one node, run on a node that may run it.

The node whose deposit crosses the threshold (`distributed.field`) hands the firing to the
nodes the agent is placed on: each of them listens on `<prefix>.ambient.<agent>` in the
agent's queue group, so NATS gives the firing to exactly one, which answers once it has
started the run. Plain NATS, not JetStream: a proactive reaction is as fleeting as the
signal that caused it, and a firing nobody took is said, not queued.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from axo_tui.core.distributed.names import Names

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription

log = logging.getLogger(__name__)

HAND_OFF_SECS = 10.0
"""How long a node waits for another to take a firing before it says nobody did."""


@dataclass(frozen=True)
class Firing:
    """Proactive trigger `trigger_id` fired by `signal`, carrying its payload."""

    trigger_id: str
    signal: str
    payload: str

    def encode(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def decode(cls, data: bytes) -> Firing:
        """Raises ValueError naming what is wrong with a message that is not a firing."""
        try:
            body = json.loads(data)
            return cls(str(body["trigger_id"]), str(body["signal"]), str(body["payload"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a proactive firing ({type(exc).__name__}: {exc})") from None


Handler = Callable[[str, Firing], Awaitable[bool]]
"""Called with the agent and the firing; whether the agent's run started."""

STARTED = b"started"


class Firings:
    def __init__(self, nc: Client, names: Names) -> None:
        self._nc = nc
        self._names = names

    async def hand_off(self, agent_id: str, firing: Firing, timeout: float = HAND_OFF_SECS) -> bool:
        """Give the firing to one node that runs `agent_id`; False when none answered."""
        from nats.errors import NoRespondersError
        from nats.errors import TimeoutError as NatsTimeoutError

        subject = self._names.ambient_subject(agent_id)
        try:
            answer = await self._nc.request(subject, firing.encode(), timeout=timeout)
        except (NoRespondersError, NatsTimeoutError, TimeoutError):
            return False
        return answer.data == STARTED

    async def serve(self, agents: Iterable[str], handler: Handler) -> list[Subscription]:
        """Take the firings of `agents` (one queue group per agent); unsubscribe to stop."""
        subscriptions = []
        for agent_id in agents:

            async def take(msg: Msg, agent_id: str = agent_id) -> None:
                try:
                    firing = Firing.decode(msg.data)
                except ValueError as exc:  # unanswered: its sender says nobody took it
                    log.warning("%s on %s", exc, msg.subject)
                    return
                started = await handler(agent_id, firing)
                await msg.respond(STARTED if started else b"refused")

            subscriptions.append(
                await self._nc.subscribe(
                    self._names.ambient_subject(agent_id),
                    queue=Names.ambient_queue(agent_id),
                    cb=take,
                )
            )
        return subscriptions
