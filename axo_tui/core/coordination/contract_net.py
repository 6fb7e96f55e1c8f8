"""The FIPA Contract Net Protocol over the ACL bus, both sides.

Initiator (`Auction`): `cfp` to every bidder (the subtask, its tools, a `reply_by`) →
`propose` or `refuse` from each; a bidder silent at `reply_by` counts as a refusal, a late
answer is ignored → `accept-proposal` to the best bid (`bidding.rank`), `reject-proposal`
to every other proposer → `inform` (the result) or `failure` from the winner. A pass that
is stopped sends `cancel` to the winner.

Participant (`Contractor`): answers a `cfp` with a bid it computes, and an `accept-proposal`
by doing the work and answering `inform` or `failure`.

Both sit behind a `CnpEndpoint`, which takes the protocol's messages for one bus name and
passes every other message to the endpoint it wraps (an LLM agent keeps answering its
ordinary mail). Deliveries may come from any thread (WASM guests): each is handed to the
event loop first.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from axo_tui.core.acl.message import AclMessage, Performative, new_id
from axo_tui.core.coordination.bidding import Bid, Refusal, rank

log = logging.getLogger(__name__)

PROTOCOL = "fipa-contract-net"


class Endpoint(Protocol):
    def deliver(self, message: AclMessage) -> None: ...


class AclBus(Protocol):
    """What the protocol needs of a message bus (`acl.AclRouter` is one)."""

    def send(self, message: AclMessage) -> AclMessage: ...

    def register(self, name: str, endpoint: Any) -> None: ...

    def unregister(self, name: str, endpoint: Any = None) -> None: ...

    def endpoint(self, name: str) -> Any: ...


class Contractor(Protocol):
    """A participant: bids by computation, and does the work it is awarded."""

    def bid(self, cfp: AclMessage) -> Bid | Refusal: ...

    async def perform(self, accept: AclMessage) -> tuple[bool, str]:
        """(True, result) or (False, error)."""
        ...


def reply_by_text(seconds_from_now: float) -> str:
    """FIPA's `reply-by` as ISO 8601 UTC with milliseconds."""
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds_from_now)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CnpEndpoint:
    """One bus name's Contract Net side; other mail goes to `inner`."""

    def __init__(
        self,
        name: str,
        inner: Endpoint | None,
        loop: asyncio.AbstractEventLoop,
        spawn: Callable[[Awaitable[Any]], asyncio.Task[Any]],
    ) -> None:
        self.name = name
        self.inner = inner
        self.contractor: Contractor | None = None
        self._loop = loop
        self._loop_thread = threading.get_ident()
        """Built on the loop's thread: a delivery from it needs no wake-up of the loop."""
        self._spawn = spawn
        self.conversations: dict[str, asyncio.Queue[AclMessage]] = {}
        """Initiator side: conversation id -> the queue its replies go to."""
        self._work: dict[str, asyncio.Task[Any]] = {}
        """Participant side: conversation id -> the task doing the awarded work."""
        self.bus: AclBus | None = None

    def busy(self) -> int:
        """Subtasks awarded here and not finished yet."""
        return len(self._work)

    def deliver(self, message: AclMessage) -> None:
        if message.protocol != PROTOCOL:
            if self.inner is not None:
                self.inner.deliver(message)
            return
        if threading.get_ident() == self._loop_thread:
            self._loop.call_soon(self._handle, message)
            return
        # A closed loop: the runtime is gone, and the auction with it.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._handle, message)

    def _handle(self, message: AclMessage) -> None:
        queue = self.conversations.get(message.conversation_id)
        if queue is not None and message.performative in _INITIATOR_HEARS:
            queue.put_nowait(message)
            return
        if self.contractor is None or self.bus is None:
            return
        if message.performative is Performative.CFP:
            self._answer_cfp(message, self.contractor, self.bus)
        elif message.performative is Performative.ACCEPT_PROPOSAL:
            key = message.conversation_id
            self._work[key] = self._spawn(self._perform(message, self.contractor, self.bus))
        elif message.performative is Performative.CANCEL:
            task = self._work.pop(message.conversation_id, None)
            if task is not None:
                task.cancel()

    def _answer_cfp(self, cfp: AclMessage, contractor: Contractor, bus: AclBus) -> None:
        answer = contractor.bid(cfp)
        if isinstance(answer, Refusal):
            reply = cfp.reply(Performative.REFUSE, {"reason": answer.reason}, sender=self.name)
        else:
            reply = cfp.reply(Performative.PROPOSE, answer.to_dict(), sender=self.name)
        bus.send(reply)

    async def _perform(self, accept: AclMessage, contractor: Contractor, bus: AclBus) -> None:
        try:
            ok, text = await contractor.perform(accept)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in one worker must not leave the initiator waiting
            log.exception("contractor %s failed", self.name)
            ok, text = False, f"internal error: {type(exc).__name__}: {exc}"
        finally:
            self._work.pop(accept.conversation_id, None)
        if ok:
            bus.send(accept.reply(Performative.INFORM, {"result": text}, sender=self.name))
        else:
            bus.send(accept.reply(Performative.FAILURE, {"error": text}, sender=self.name))


_INITIATOR_HEARS = frozenset(
    {
        Performative.PROPOSE,
        Performative.REFUSE,
        Performative.INFORM,
        Performative.FAILURE,
        Performative.NOT_UNDERSTOOD,
    }
)


@dataclass
class Outcome:
    """One auction and what came of it (the journal's `coordinator.auction`)."""

    conversation_id: str
    bids: list[Bid] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    """Bidders silent at `reply_by` (counted as refusals)."""
    winner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "bids": [b.to_dict() for b in rank(self.bids)],
            "refusals": [{"bidder": r.bidder, "reason": r.reason} for r in self.refusals],
            "missed_reply_by": list(self.missed),
            "winner": self.winner,
        }


class Auction:
    """The initiator's side of one conversation about one subtask."""

    def __init__(self, bus: AclBus, manager: CnpEndpoint, *, conversation_id: str = "") -> None:
        self._bus = bus
        self._manager = manager
        self.outcome = Outcome(conversation_id or new_id("cnp"))
        self._queue: asyncio.Queue[AclMessage] = asyncio.Queue()
        self._accepted: AclMessage | None = None

    def __enter__(self) -> Auction:
        self._manager.conversations[self.outcome.conversation_id] = self._queue
        return self

    def __exit__(self, *exc: object) -> None:
        self._manager.conversations.pop(self.outcome.conversation_id, None)

    async def call_for_proposals(
        self,
        bidders: Sequence[str],
        content: dict[str, Any],
        *,
        reply_within: float,
        order: Callable[[str], int],
    ) -> Outcome:
        """Send the `cfp`, gather the answers until `reply_by`, award the best proposal."""
        outcome = self.outcome
        loop = asyncio.get_running_loop()
        deadline = loop.time() + reply_within
        cfp = self._bus.send(
            AclMessage(
                Performative.CFP,
                self._manager.name,
                tuple(bidders),
                content,
                protocol=PROTOCOL,
                conversation_id=outcome.conversation_id,
                reply_with=new_id("m"),
                reply_by=reply_by_text(reply_within),
            )
        )
        waiting = set(bidders)
        proposals: dict[str, AclMessage] = {}
        while waiting:
            left = deadline - loop.time()
            if left <= 0:
                break
            if not self._queue.empty():  # answers that came together: no timer each
                message = self._queue.get_nowait()
            else:
                try:
                    message = await asyncio.wait_for(self._queue.get(), left)
                except TimeoutError:
                    break
            if message.sender not in waiting or message.in_reply_to != cfp.reply_with:
                continue  # not an answer to this call (or a second one): ignored
            waiting.discard(message.sender)
            if message.performative is Performative.PROPOSE:
                proposals[message.sender] = message
                outcome.bids.append(
                    Bid.from_dict(message.sender, message.content, order(message.sender))
                )
            else:
                reason = _reason(message)
                outcome.refusals.append(Refusal(message.sender, reason))
        outcome.missed = sorted(waiting)
        ranked = rank(outcome.bids)
        if ranked:
            outcome.winner = ranked[0].bidder
            for bid in ranked:
                proposal = proposals[bid.bidder]
                won = bid.bidder == outcome.winner
                performative = Performative.ACCEPT_PROPOSAL if won else Performative.REJECT_PROPOSAL
                body = content if won else {"reason": f"{outcome.winner} was awarded the task"}
                sent = self._bus.send(proposal.reply(performative, body, sender=self._manager.name))
                if won:
                    self._accepted = sent
        return outcome

    async def result(self, timeout: float | None) -> tuple[bool, str]:
        """The winner's `inform` (True, result) or `failure` (False, error). A pass stopped
        while waiting tells the winner with `cancel`."""
        accepted = self._accepted
        if accepted is None:
            return False, "no proposal was accepted"
        try:
            async with asyncio.timeout(timeout):
                while True:
                    message = await self._queue.get()
                    if message.sender != self.outcome.winner:
                        continue
                    if message.performative is Performative.INFORM:
                        body = message.content
                        text = body.get("result") if isinstance(body, dict) else body
                        return True, text if isinstance(text, str) else str(text)
                    if message.performative in (Performative.FAILURE, Performative.NOT_UNDERSTOOD):
                        return False, _reason(message)
        except TimeoutError:
            self._cancel(accepted)
            return False, f"{self.outcome.winner} sent no result within {timeout:g} s"
        except asyncio.CancelledError:
            self._cancel(accepted)
            raise

    def _cancel(self, accepted: AclMessage) -> None:
        with contextlib.suppress(Exception):  # best effort: the pass is ending anyway
            self._bus.send(
                AclMessage(
                    Performative.CANCEL,
                    self._manager.name,
                    accepted.receivers,
                    {"reason": "the coordinator stopped waiting"},
                    protocol=PROTOCOL,
                    conversation_id=accepted.conversation_id,
                    reply_with=new_id("m"),
                )
            )


def _reason(message: AclMessage) -> str:
    body = message.content
    if isinstance(body, dict):
        for key in ("reason", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return body if isinstance(body, str) and body else message.performative.value
