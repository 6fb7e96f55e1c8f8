"""Cluster runs: each step is a message on a work-queue stream, claimed by exactly one node.
A workflow run has a step per agent; a single-agent run has one (its meta names the agent).

A step's message goes to `<prefix>.work.<agent>.<run>`; every node that may run the agent
pulls from the agent's one durable consumer, so JetStream hands each message to one of them.
The claim is a lease: from the moment it has the message until it acks it, the node says
"still working" every third of `lease_secs`, and a node that dies (kill -9, a partition) stops
saying it, so the message is delivered to another node once the lease runs out.

What counts is the runs bucket: a step is done once its record is created there, by
whichever node did it, once (a create fails if the key exists). A node records its step
before it journals the step's end, so a node that finds another's record there (its lease ran
out while it was stalled, and the step was run again elsewhere) journals its own run as
superseded, never as a second completion. A redelivered message whose step has a record is
not run again; it only makes sure the dependents were queued. After
each record the node looks at the run as a whole (every node's records): it queues the
agents that became ready (message id `<run>:<agent>`, so two nodes queueing the same one
store it once), records skips, and ends the run when every agent has finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from axo_tui.core.base.ids import new_id
from axo_tui.core.distributed.connection import ClusterLink
from axo_tui.core.distributed.readiness import (
    COMPLETED,
    FAILED,
    SKIPPED,
    Plan,
    final_output,
    next_steps,
)
from axo_tui.core.distributed.run_bucket import create, get, record_step, wrong_sequence
from axo_tui.core.distributed.steps import (
    ClusterHost,
    RunOutcome,
    Step,
    StepOutcome,
    StepRecord,
)

if TYPE_CHECKING:
    from nats.aio.msg import Msg
    from nats.js.client import JetStreamContext

log = logging.getLogger(__name__)

MAX_CLAIMS = 5
"""A step claimed this often by nodes that died holding it is failed, not tried again: a
step that kills its node must not take the whole cluster down one node at a time."""

FETCH_SECS = 5.0
END_RECHECK_SECS = 2.0
"""A run's starter re-reads the bucket this often in case the end's notice was missed."""


class ClusterRuns:
    def __init__(
        self, link: ClusterLink, host: ClusterHost, node: str, *, concurrency: int = 4
    ) -> None:
        self._link = link
        self._host = host
        self.node = node
        self.concurrency = concurrency
        self._loops: list[asyncio.Task[None]] = []
        self._in_hand: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        """Per step this node holds: a lock, and how many of its deliveries wait on it."""
        self.claimed = 0
        """Steps this node ran (a retried one counts on each node that ran it)."""

    # ------------------------------------------------------------------ runs
    async def submit(
        self,
        target: str,
        input_text: str,
        run_id: str | None = None,
        *,
        kind: str = "workflow",
        trigger: str = "",
        task: str = "",
    ) -> str:
        """Start a run of workflow `target` in the cluster; returns its id. Its steps go to
        whichever nodes claim them; this node need not run any. With `kind="agent"`,
        `target` is an agent: a single-agent run of one step, its activation started by
        `trigger` (`manual`, `mcp`...) with `task`."""
        config = self._host.config
        plan = Plan.of_agent(config, target) if kind == "agent" else Plan.of(config, target)
        run_id = run_id or new_id()
        meta: dict[str, object] = {
            plan.kind: target,
            "input": input_text,
            "origin": self.node,
            "ts": time.time(),
        }
        meta.update((key, value) for key, value in (("trigger", trigger), ("task", task)) if value)
        names = self._link.names
        try:
            await self._link.runs.create(names.meta_key(run_id), json.dumps(meta).encode())
        except wrong_sequence():
            from axo_tui.core.distributed.connection import ClusterError

            raise ClusterError(f"run '{run_id}' exists already; give a new id or none") from None
        self._host.run_started(run_id, target, input_text, plan.kind)
        await self.advance(run_id, plan, {})
        return run_id

    async def run(
        self,
        target: str,
        input_text: str,
        run_id: str | None = None,
        *,
        kind: str = "workflow",
        trigger: str = "",
        task: str = "",
    ) -> RunOutcome:
        """Start a run (as `submit`) and wait for its end, wherever it is reached."""
        run_id = run_id or new_id()
        waiter = await self._link.nc.subscribe(self._link.names.run_done_subject(run_id))
        try:
            await self.submit(target, input_text, run_id, kind=kind, trigger=trigger, task=task)
            return await self._wait_end(run_id, waiter)
        finally:
            with contextlib.suppress(Exception):
                await waiter.unsubscribe()

    async def _wait_end(self, run_id: str, waiter: Any) -> RunOutcome:
        while True:
            try:
                outcome = await self.outcome(run_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # a leader election, a partition: the run goes on; ask again
                outcome = None
            if outcome is not None:
                return outcome
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                message = await waiter.next_msg(timeout=END_RECHECK_SECS)
                return RunOutcome.decode(message.data)

    async def outcome(self, run_id: str) -> RunOutcome | None:
        data = await get(self._link.runs, self._link.names.end_key(run_id))
        return None if data is None else RunOutcome.decode(data)

    async def records(self, run_id: str, plan: Plan) -> dict[str, StepRecord]:
        """Every finished step of the run, on whichever node it finished."""
        names = self._link.names
        found = await asyncio.gather(
            *(get(self._link.runs, names.step_key(run_id, a)) for a in plan.agents)
        )
        return {
            agent: StepRecord.decode(data)
            for agent, data in zip(plan.agents, found, strict=True)
            if data is not None
        }

    async def advance(self, run_id: str, plan: Plan, records: dict[str, StepRecord]) -> None:
        """Queue what became ready, record the skips, end the run when all have finished."""
        names = self._link.names
        while True:
            nxt = next_steps(plan, {agent: r.status for agent, r in records.items()})
            for agent in nxt.start:
                await self._link.js.publish(
                    names.work_subject(agent, run_id),
                    json.dumps({"run_id": run_id, "agent_id": agent}).encode(),
                    headers={"Nats-Msg-Id": f"{run_id}:{agent}"},
                )
            if not nxt.skip:
                break
            for agent, reason in nxt.skip:
                record = StepRecord(status=SKIPPED, node=self.node, error=reason, ts=time.time())
                if await create(self._link.runs, names.step_key(run_id, agent), record.encode()):
                    self._host.step_skipped(run_id, agent, reason)
                    records[agent] = record
                else:
                    records.update(await self.records(run_id, plan))
        if len(records) == len(plan.agents):
            await self._end(run_id, plan, records)

    async def _end(self, run_id: str, plan: Plan, records: dict[str, StepRecord]) -> None:
        outputs = {a: r.output for a, r in records.items() if r.status == COMPLETED}
        failed = tuple(a for a in plan.agents if records[a].status == FAILED)
        skipped = tuple(a for a in plan.agents if records[a].status == SKIPPED)
        output = final_output(plan, outputs)
        if plan.kind == "agent":  # what its one step said, failed or not, as in one process
            output = records[plan.target].output
        outcome = RunOutcome(
            run_id=run_id,
            workflow_id=plan.target,
            status="failed" if failed or skipped else "completed",
            output=output,
            outputs=outputs,
            failed=failed,
            skipped=skipped,
            errors={a: records[a].error for a in (*failed, *skipped)},
            prompt_tokens=sum(r.prompt_tokens for r in records.values()),
            completion_tokens=sum(r.completion_tokens for r in records.values()),
            activations=sum(1 for r in records.values() if r.status != SKIPPED),
            ended_by=self.node,
            kind=plan.kind,
        )
        names = self._link.names
        if await create(self._link.runs, names.end_key(run_id), outcome.encode()):
            self._host.run_ended(outcome)
            await self._link.nc.publish(names.run_done_subject(run_id), outcome.encode())

    async def catch_up(self) -> list[str]:
        """Announce the ends this node recorded but never announced (it died in between);
        returns their run ids."""
        watcher = await self._link.runs.watch("*.end", ignore_deletes=True)
        announced = []
        try:
            async for entry in watcher:
                if entry is None:  # the values there were when it started: all seen
                    break
                if entry.value is None:
                    continue
                outcome = RunOutcome.decode(entry.value)
                if outcome.ended_by == self.node and not self._host.run_announced(outcome.run_id):
                    self._host.run_ended(outcome)
                    announced.append(outcome.run_id)
        finally:
            await watcher.stop()  # type: ignore[no-untyped-call]
        return announced

    # ---------------------------------------------------------------- claims
    async def serve(self, agent_ids: list[str]) -> None:
        """Claim the steps of `agent_ids` until `stop()`; each agent gets `concurrency`
        pull subscriptions on its consumer (one pull in flight each)."""
        from nats.js.api import AckPolicy, ConsumerConfig

        names = self._link.names
        lease = self._link.settings.lease_secs
        for agent in agent_ids:
            config = ConsumerConfig(
                durable_name=names.work_consumer(agent),
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=lease,
                max_deliver=-1,
                filter_subject=names.work_filter(agent),
            )
            subscriptions = []
            try:
                for _ in range(self.concurrency):
                    subscriptions.append(await _pull(self._link.js, names, agent, config))
            except BaseException:  # all of an agent's, or none: a retry starts afresh
                for subscription in subscriptions:
                    with contextlib.suppress(Exception):
                        await subscription.unsubscribe()
                raise
            for subscription in subscriptions:
                self._loops.append(asyncio.ensure_future(self._claim_loop(subscription, agent)))

    async def stop(self) -> None:
        """Stop claiming; steps in flight are handed back at once (`nak`)."""
        loops, self._loops = self._loops, []
        for loop in loops:
            loop.cancel()
        if loops:
            await asyncio.gather(*loops, return_exceptions=True)

    async def _claim_loop(self, subscription: Any, agent_id: str) -> None:
        while True:
            try:
                messages = await subscription.fetch(1, timeout=FETCH_SECS)
            except asyncio.CancelledError:
                raise
            except Exception:  # no message in time, or NATS away (a partition): ask again
                await asyncio.sleep(0.05)
                continue
            for message in messages:
                try:
                    await self._handle(message, agent_id)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The lease runs out and the step goes to a node that can do it.
                    log.exception("step of %s on node %s", agent_id, self.node)

    async def _handle(self, message: Msg, agent_id: str) -> None:
        # The lease is kept from the claim to the ack: the reads before the step and the
        # queueing after it take time too, and a loaded machine may make it long.
        heartbeat = asyncio.ensure_future(self._heartbeat(message))
        try:
            async with self._one_at_a_time(f"{json.loads(message.data)['run_id']}:{agent_id}"):
                await self._handle_claimed(message, agent_id)
        finally:
            heartbeat.cancel()

    @contextlib.asynccontextmanager
    async def _one_at_a_time(self, step: str) -> AsyncIterator[None]:
        """A node that stalled past its lease may find the step delivered to it again while
        its own run goes on: the copy waits for that run, then finds its record."""
        lock, waiting = self._in_hand.setdefault(step, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            async with lock:
                yield
        finally:
            waiting[0] -= 1
            if not waiting[0]:
                del self._in_hand[step]

    async def _handle_claimed(self, message: Msg, agent_id: str) -> None:
        work = json.loads(message.data)
        run_id = str(work["run_id"])
        meta_data = await get(self._link.runs, self._link.names.meta_key(run_id))
        if meta_data is None:  # expired, or purged: nothing to do it for
            await message.term()
            return
        meta = json.loads(meta_data)
        try:
            plan = Plan.of_meta(self._host.config, meta)
        except KeyError:
            kind = "agent" if "agent" in meta else "workflow"
            self._host.notice(
                run_id,
                f"node {self.node} does not know {kind} '{meta.get(kind)}'; "
                f"every node needs the same {kind}s (the same axo.yaml)",
            )
            await message.nak(delay=self._link.settings.lease_secs)
            return
        records = await self.records(run_id, plan)
        if agent_id not in records:
            attempt = message.metadata.num_delivered
            if attempt > MAX_CLAIMS:
                record = StepRecord(
                    status=FAILED,
                    node=self.node,
                    error=f"claimed {attempt - 1} times by nodes that stopped before finishing",
                    ts=time.time(),
                )
                await create(
                    self._link.runs, self._link.names.step_key(run_id, agent_id), record.encode()
                )
            else:
                await self._run_step(message, run_id, meta, plan, agent_id, records, attempt)
            records = await self.records(run_id, plan)
        # Also for a step found finished: its node may have died before queueing the rest.
        await self.advance(run_id, plan, records)
        await message.ack()  # a lost ack only redelivers it: its record makes that a no-op

    async def _run_step(
        self,
        message: Msg,
        run_id: str,
        meta: dict[str, Any],
        plan: Plan,
        agent_id: str,
        records: dict[str, StepRecord],
        attempt: int,
    ) -> None:
        deps = plan.deps.get(agent_id, ())
        step = Step(
            run_id=run_id,
            workflow_id=plan.workflow_id,
            agent_id=agent_id,
            input=str(meta.get("input", "")),
            upstream=tuple(
                (dep, records[dep].output) for dep in deps if records[dep].status == COMPLETED
            ),
            notes=tuple(
                f"Note: upstream agent '{dep}' did not complete ({records[dep].error})."
                for dep in deps
                if records[dep].status != COMPLETED
            ),
            attempt=attempt,
            trigger=str(meta.get("trigger", "workflow")),
            task=str(meta.get("task", "")),
        )
        self.claimed += 1

        async def settle(outcome: StepOutcome) -> str | None:
            return await self._settle(run_id, agent_id, outcome)

        try:
            await self._host.run_step(step, settle)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await message.nak()  # stopping: another node may take it now
            raise

    async def _settle(self, run_id: str, agent_id: str, outcome: StepOutcome) -> str | None:
        """Record a step's end; None when this record is the one that counts, else why not."""
        mine = StepRecord.of(outcome, self.node)
        counted = await record_step(
            self._link.runs, self._link.names.step_key(run_id, agent_id), mine
        )
        if counted.activation_id == mine.activation_id:
            return None
        return (
            f"superseded: {agent_id} of run {run_id} was finished by another node first "
            f"(node {counted.node}, activation {counted.activation_id}) after this node's "
            "claim ran out; this result is not used"
        )

    async def record_of(self, run_id: str, agent_id: str) -> StepRecord | None:
        data = await get(self._link.runs, self._link.names.step_key(run_id, agent_id))
        return None if data is None else StepRecord.decode(data)

    async def _heartbeat(self, message: Msg) -> None:
        every = self._link.settings.lease_secs / 3
        while True:  # at once too: the lease began when JetStream sent the message
            with contextlib.suppress(Exception):  # cut off: the lease runs out, as it should
                await message.in_progress()
            await asyncio.sleep(every)


async def _pull(js: JetStreamContext, names: Any, agent: str, config: Any) -> Any:
    return await js.pull_subscribe(
        names.work_filter(agent),
        durable=names.work_consumer(agent),
        stream=names.work_stream,
        config=config,
    )
