"""The Contract Net Protocol on a real ACL router: the message sequence, computed bids,
budget-aware awards, deterministic ties, and bidders that miss `reply_by`."""

from __future__ import annotations

import asyncio
from typing import Any

from axo_tui.core.acl.message import AclMessage, Performative
from axo_tui.core.acl.router import AclRouter
from axo_tui.core.coordination.bidding import (
    Bid,
    BidderProfile,
    Refusal,
    compute_bid,
    rank,
)
from axo_tui.core.coordination.contract_net import PROTOCOL, Auction, CnpEndpoint

TOOLS = frozenset({"read_file", "calculator"})


class Worker:
    def __init__(self, profile: BidderProfile, *, fail: bool = False, load: int = 0) -> None:
        self.profile = profile
        self.fail = fail
        self.load = load
        self.performed: list[str] = []

    def bid(self, cfp: AclMessage) -> Bid | Refusal:
        content: dict[str, Any] = cfp.content
        return compute_bid(
            self.profile, content["tools"], load=self.load, estimate=100, pass_remaining=None
        )

    async def perform(self, accept: AclMessage) -> tuple[bool, str]:
        self.performed.append(accept.content["task"])
        if self.fail:
            return False, "disk full"
        return True, f"{self.profile.name} did {accept.content['task']}"


class Silent:
    """A bidder that never answers (a busy or broken agent on the bus)."""

    def __init__(self) -> None:
        self.got: list[AclMessage] = []

    def deliver(self, message: AclMessage) -> None:
        self.got.append(message)


def profile(
    name: str, order: int, budget: int | None = None, tools: frozenset[str] = TOOLS
) -> BidderProfile:
    return BidderProfile(name, tools, budget, 0.5, order)


def bus_with(*workers: Worker) -> tuple[AclRouter, CnpEndpoint, list[AclMessage]]:
    router = AclRouter()
    loop = asyncio.get_running_loop()
    seen: list[AclMessage] = []
    router.observe(seen.append)
    manager = CnpEndpoint("lead", None, loop, asyncio.ensure_future)
    manager.bus = router
    router.register("lead", manager)
    for worker in workers:
        endpoint = CnpEndpoint(worker.profile.name, None, loop, asyncio.ensure_future)
        endpoint.bus, endpoint.contractor = router, worker
        router.register(worker.profile.name, endpoint)
    return router, manager, seen


async def auction(
    router: AclRouter,
    manager: CnpEndpoint,
    bidders: list[str],
    tools: list[str],
    *,
    window: float = 5.0,
    declared: list[str] | None = None,
) -> tuple[Auction, Any]:
    """One call for proposals; `declared` is the order of axo.yaml (default: `bidders`)."""
    order = {name: i for i, name in enumerate(declared or bidders)}
    run = Auction(router, manager)
    run.__enter__()
    content = {"subtask": "s1", "task": "sum it", "tools": tools}
    outcome = await run.call_for_proposals(
        bidders, content, reply_within=window, order=lambda n: order.get(n, 99)
    )
    return run, outcome


async def test_the_message_sequence_of_one_award() -> None:
    roomy = Worker(profile("roomy", 0, budget=10_000))
    tight = Worker(profile("tight", 1, budget=120))  # 100 of its 120 tokens: near its budget
    blind = Worker(profile("blind", 2, tools=frozenset()))
    router, manager, seen = bus_with(roomy, tight, blind)
    run, outcome = await auction(router, manager, ["roomy", "tight", "blind"], ["calculator"])
    assert await run.result(5.0) == (True, "roomy did sum it")
    run.__exit__()

    assert outcome.winner == "roomy"
    assert [r.bidder for r in outcome.refusals] == ["blind"]
    assert "lacks the tools: calculator" in outcome.refusals[0].reason
    sequence = [(m.performative.value, m.sender, m.receivers) for m in seen]
    assert sequence[0] == ("cfp", "lead", ("roomy", "tight", "blind"))
    answers = {(p, s) for p, s, _ in sequence[1:4]}
    assert answers == {("propose", "roomy"), ("propose", "tight"), ("refuse", "blind")}
    assert sequence[4:] == [
        ("accept-proposal", "lead", ("roomy",)),
        ("reject-proposal", "lead", ("tight",)),
        ("inform", "roomy", ("lead",)),
    ]
    cfp = seen[0]
    assert all(m.protocol == PROTOCOL for m in seen)
    assert {m.conversation_id for m in seen} == {cfp.conversation_id}
    assert cfp.reply_by is not None and cfp.reply_by.endswith("Z")
    assert all(m.in_reply_to == cfp.reply_with for m in seen[1:4])
    assert seen[6].in_reply_to == seen[4].reply_with  # the inform answers the accept
    assert roomy.performed == ["sum it"] and tight.performed == []


async def test_a_worker_near_its_budget_loses_to_one_with_headroom_even_when_idle() -> None:
    busy_roomy = Worker(profile("busy", 1, budget=50_000), load=3)
    idle_tight = Worker(profile("idle", 0, budget=130))
    router, manager, _ = bus_with(busy_roomy, idle_tight)
    _, outcome = await auction(router, manager, ["idle", "busy"], [])
    assert outcome.winner == "busy"
    near = {b.bidder: b.near_budget for b in outcome.bids}
    assert near == {"idle": True, "busy": False}


async def test_load_lowers_a_bid_and_equal_bids_go_to_the_first_declared() -> None:
    first, second = Worker(profile("first", 0)), Worker(profile("second", 1))
    router, manager, _ = bus_with(second, first)
    declared = ["first", "second"]
    _, outcome = await auction(router, manager, ["second", "first"], [], declared=declared)
    assert outcome.bids[0].score == outcome.bids[1].score
    assert outcome.winner == "first"
    first.load = 1
    _, outcome = await auction(router, manager, ["second", "first"], [], declared=declared)
    assert outcome.winner == "second"


async def test_a_bidder_silent_at_reply_by_counts_as_a_refusal() -> None:
    worker = Worker(profile("prompt", 0))
    router, manager, seen = bus_with(worker)
    silent = Silent()
    router.register("silent", silent)
    loop = asyncio.get_running_loop()
    started = loop.time()
    run, outcome = await auction(router, manager, ["silent", "prompt"], [], window=0.3)
    assert loop.time() - started >= 0.3  # it waited out reply_by for the silent one
    assert outcome.missed == ["silent"] and outcome.winner == "prompt"
    assert [m.performative for m in silent.got] == [Performative.CFP]
    # A proposal after reply_by is not an answer: the award stands, nothing is sent to it.
    late = silent.got[0].reply(Performative.PROPOSE, {"score": 1.0}, sender="silent")
    router.send(late)
    assert await run.result(5.0) == (True, "prompt did sum it")
    assert all(m.receivers != ("silent",) for m in seen[1:] if m.sender == "lead")


async def test_nobody_bidding_awards_nothing() -> None:
    router, manager, _ = bus_with(Worker(profile("blind", 0, tools=frozenset())))
    run, outcome = await auction(router, manager, ["blind"], ["shell"])
    assert outcome.winner is None and outcome.bids == []
    assert await run.result(1.0) == (False, "no proposal was accepted")


async def test_a_failing_winner_answers_failure() -> None:
    router, manager, seen = bus_with(Worker(profile("clumsy", 0), fail=True))
    run, _ = await auction(router, manager, ["clumsy"], [])
    assert await run.result(5.0) == (False, "disk full")
    assert seen[-1].performative is Performative.FAILURE


def test_ranking_is_deterministic() -> None:
    bids = [
        Bid("b", 0.5, False, 0, 1.0, 0.5, 1),
        Bid("a", 0.5, False, 0, 1.0, 0.5, 1),
        Bid("c", 0.9, True, 0, 0.1, 0.5, 0),
        Bid("d", 0.5, False, 0, 1.0, 0.5, 0),
    ]
    assert [b.bidder for b in rank(bids)] == ["d", "a", "b", "c"]
