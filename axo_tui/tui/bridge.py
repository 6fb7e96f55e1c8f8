"""The one reader of runtime events; owner of the runtime's life and of the runs it starts.

Events: one bus subscription, drained by a worker that waits for the first event, sleeps one
frame to let a burst pile up, then takes everything queued. The batch is folded into the
`WorkbenchModel` and published once on `events` (a Textual `Signal`, whose subscribers are
called through their own message queues). So a flood of 2,000 events per second reaches the
widgets as ~30 batches per second, and nothing is lost: the bus never drops transcript events
and the pump takes every event it is given.

Runs: each is a worker owned by the app, not by a screen, so it keeps going while the user
moves between screens, and all of them are cancelled before the runtime closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from textual.app import App
from textual.signal import Signal
from textual.worker import Worker

from axo_tui.core.base.terminal_text import neutralise
from axo_tui.core.events.bus import SubscriberOverflow, Subscription
from axo_tui.core.events.catalog import EVENT_TYPES, Event, RunStarted
from axo_tui.core.runtime.hosting import start_hosted
from axo_tui.core.runtime.runs import RunResult
from axo_tui.core.runtime.runtime import RunError, Runtime
from axo_tui.tui.model import ConfigStatus, WorkbenchModel, format_tokens

# Telemetry about the machinery (commit latency, queue depths) is for /metrics; the
# workbench would redraw for every commit and list them in the event inspector.
WORKBENCH_KINDS = frozenset(EVENT_TYPES) - {"journal.commit", "bus.queues"}

log = logging.getLogger(__name__)

FRAME_SECONDS = 1 / 30
"""How long the pump lets events accumulate after the first one: one frame at 30 fps."""
BUSY_FRAME_SECONDS = 1 / 15
"""The same while events keep coming (the next one arrives within BUSY_GAP of a batch):
each batch costs the screen a frame, and under a flood halving the frames halves what
drawing takes from the keys, while streamed text still moves 15 times a second."""
BUSY_GAP = 0.1
KEY_GRACE = 0.05
"""After a keypress the next batch waits this long: the key's own frame (a dialog opening,
the focus moving) is drawn first instead of queueing behind a batch's redraw. Events are
only delivered later, never dropped."""
RUNS_GROUP = "axo-runs"
CANCEL_GROUP = "axo-cancel"

RunKind = Literal["workflow", "skill", "agent", "chat", "signal"]


@dataclass(frozen=True)
class RunRequest:
    """Something the user asked the runtime to do."""

    kind: RunKind
    target: str
    text: str
    session_id: str | None = None
    """For `chat`: the session the turn continues."""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.target}"


@dataclass(frozen=True)
class RunOutcome:
    request: RunRequest
    result: RunResult | None
    error: str | None = None
    """Why the run could not start (unknown target, an internal error)."""
    cancelled: bool = False
    """The user cancelled the run (`RuntimeBridge.cancel_run`); `result` is None."""


async def _settle(worker: Worker[Any]) -> None:
    with contextlib.suppress(Exception):
        await worker.wait()


class RuntimeBridge:
    """Connects one `Runtime` to one Textual app."""

    def __init__(
        self,
        app: App[Any],
        runtime: Runtime,
        model: WorkbenchModel,
        *,
        frame: float = FRAME_SECONDS,
        notify_runs: bool = True,
    ) -> None:
        self.app = app
        self.runtime = runtime
        self.model = model
        self.frame = frame
        self.busy_frame = max(frame, BUSY_FRAME_SECONDS) if frame > 0 else 0.0
        self._flushed_at = float("-inf")
        self._key_at = float("-inf")
        self.notify_runs = notify_runs
        self.events: Signal[list[Event]] = Signal(app, "runtime-events")
        self.config_changed: Signal[ConfigStatus] = Signal(app, "config-status")
        self.run_finished: Signal[RunOutcome] = Signal(app, "run-finished")
        self._subscription: Subscription | None = None
        self._held: list[Event] = []
        """Events taken off the queue by the pump but not yet delivered (its first event
        while it waits out the frame); `flush` must deliver them first to keep order."""
        self.batches = 0
        """Batches published so far (tests and benchmarks read it)."""
        self._cancelling: set[str] = set()
        """Runs the user asked to cancel, until the runtime has ended them."""

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        # Started as `axo serve` starts it: the runs a crashed or killed process left
        # unfinished continue now, in the background, and show up like any other run.
        start_hosted(self.runtime)
        self.model.field_level = self._field_level
        if self.runtime.messaging is not None:  # `axo deploy`ed agents are in the lattice too
            self.model.note_deployed(info.name for info in self.runtime.messaging.agents())
        self._subscription = self._subscribe()
        self.app.run_worker(self._pump(), name="event pump", group="axo-bridge")

    async def stop(self) -> None:
        """Stop runs, stop reading, close the runtime (journal flushed, providers closed).
        Runs still going are recorded `interrupted` (resumable with `axo runs resume`), as
        Ctrl+C records a CLI run, never left `running` for the next start to find."""
        await self.runtime.stop_runs(timeout=5)
        runs = self.app.workers.cancel_group(self.app, RUNS_GROUP)
        # Let the cancelled runs unwind (their finally blocks write to the journal) before
        # the journal closes under them.
        if runs:
            await asyncio.wait([asyncio.ensure_future(_settle(w)) for w in runs], timeout=5)
        self.app.workers.cancel_group(self.app, "axo-bridge")
        if self._subscription is not None:
            self._subscription.close()
        await self.runtime.close()

    def _subscribe(self) -> Subscription:
        # A large status capacity: coalescing is for subscribers that truly fall behind,
        # not for a UI that reads every frame.
        return self.runtime.subscribe(capacity=50_000, kinds=WORKBENCH_KINDS)

    async def _pump(self) -> None:
        while True:
            subscription = self._subscription
            assert subscription is not None
            try:
                first = await subscription.get()
            except SubscriberOverflow as exc:
                if subscription.closed_reason == "closed":
                    return  # we closed it: shutting down
                # Only after the UI stalled for a very long time; say so, then carry on.
                self.app.notify(f"event view restarted: {exc}", severity="warning")
                self._subscription = self._subscribe()
                continue
            self._held.append(first)
            busy = time.monotonic() - self._flushed_at < BUSY_GAP
            await asyncio.sleep(self.busy_frame if busy else self.frame)
            if self.frame > 0:
                # A key pressed meanwhile goes first (see KEY_GRACE).
                while (wait := self._key_at + KEY_GRACE - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
            self.flush()
            self._flushed_at = time.monotonic()

    def key_pressed(self) -> None:
        """The user pressed a key: hold the next batch back a moment (KEY_GRACE)."""
        self._key_at = time.monotonic()

    def flush(self) -> None:
        """Deliver everything received so far, now: one batch, in order."""
        subscription = self._subscription
        batch = self._held + (subscription.drain() if subscription is not None else [])
        self._held = []
        if not batch:
            return
        try:
            self.model.apply(batch)
        except Exception:  # one malformed event must not freeze the whole view
            log.exception("could not fold a batch of %d events", len(batch))
        self.batches += 1
        self.events.publish(batch)
        if self.runtime.config is not self.model.config:
            # Someone else applied a config (the HTTP API, a tool): follow it too.
            self.model.sync_config(self.runtime.config)
            self.config_changed.publish(self.model.config_status)

    def _field_level(self, agent_id: str) -> float:
        """The strongest pheromone level of an agent, ambient or in a live run, as a
        fraction of its threshold (1.0 = about to fire)."""
        return self.runtime.signal_level(agent_id, self.model.active_run_ids())

    # ---------------------------------------------------------------------- runs
    def start_run(
        self, request: RunRequest, *, on_run_id: Callable[[str], None] | None = None
    ) -> Worker[RunOutcome]:
        """Start a run in the background. `on_run_id` learns the run id before any of the
        run's events reach the widgets, so a screen can pick out its own run's stream."""
        return self.app.run_worker(
            self._execute(request, on_run_id),
            name=request.label,
            group=RUNS_GROUP,
            exit_on_error=False,
        )

    async def _execute(
        self, request: RunRequest, on_run_id: Callable[[str], None] | None
    ) -> RunOutcome:
        claimed: list[str] = []

        def claim(event: Event) -> None:
            # Called inline by the bus. The engine emits RunStarted before its first await,
            # i.e. before any other task can run, so the first RunStarted seen is this run's.
            if not claimed and isinstance(event, RunStarted) and event.run_id:
                claimed.append(event.run_id)
                if on_run_id is not None:
                    on_run_id(event.run_id)

        stop_claiming = self.runtime.watch(claim)
        try:
            result = await self._call(request)
        except asyncio.CancelledError:
            if not (claimed and claimed[0] in self._cancelling):
                raise  # the app is closing: let the worker end
            # The user cancelled this run: the runtime records it once this task is done.
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            outcome = RunOutcome(request, None, cancelled=True)
        except RunError as exc:
            outcome = RunOutcome(request, None, str(exc))
        except Exception as exc:  # the user sees a message, never a traceback
            log.exception("run %s crashed", request.label)
            outcome = RunOutcome(request, None, f"internal error: {type(exc).__name__}: {exc}")
        else:
            outcome = RunOutcome(request, result)
        finally:
            stop_claiming()
        # The run's last events (its RunCompleted) reach the widgets before the outcome does:
        # a chat screen has every token by the time it hears the turn is over.
        self.flush()
        self._announce(outcome)
        self.run_finished.publish(outcome)
        return outcome

    async def _call(self, request: RunRequest) -> RunResult:
        runtime = self.runtime
        if request.kind == "workflow":
            return await runtime.run_workflow(request.target, request.text)
        if request.kind == "skill":
            return await runtime.fire_skill(request.target, request.text)
        if request.kind == "signal":
            return await runtime.emit_signal(request.target, request.text)
        if request.kind == "chat":
            return await runtime.run_agent(
                request.target,
                request.text,
                session_id=request.session_id,
                run_kind="chat",
                trigger="chat",
            )
        return await runtime.run_agent(request.target, request.text)

    def request_cancel(self, run_id: str) -> Worker[RunResult | None]:
        """Cancel a run in the background (see `cancel_run`)."""
        return self.app.run_worker(
            self.cancel_run(run_id), name=f"cancel {run_id}", group=CANCEL_GROUP
        )

    async def cancel_run(self, run_id: str) -> RunResult | None:
        """Stop a running run: its running agents are cancelled, the waiting ones never
        start, and the journal records it `cancelled`. None (and a toast) if it cannot be."""
        self._cancelling.add(run_id)
        try:
            result = await self.runtime.cancel_run(run_id)
        except RunError as exc:
            self.app.notify(
                neutralise(str(exc)), title="cannot cancel", severity="warning", markup=False
            )
            return None
        finally:
            self._cancelling.discard(run_id)
        self.flush()  # the run's end reaches the widgets with the toast
        run = self.model.runs.get(run_id)
        if run is not None and run.kind == "chat":
            return result  # the chat's transcript says so, where the user is looking
        what = f"{run.kind} {run.target}" if run is not None else result.target
        self.app.notify(
            f"{what}: cancelled", title=f"run {self.model.run_label(run_id)}", severity="warning"
        )
        return result

    def _announce(self, outcome: RunOutcome) -> None:
        if outcome.cancelled:
            return  # `cancel_run` says so once the runtime has recorded it
        if outcome.error is not None:
            # The error may quote a provider's or a model's words: shown as written.
            self.app.notify(
                neutralise(outcome.error),
                title=f"cannot run {outcome.request.label}",
                severity="error",
                markup=False,
            )
            return
        result = outcome.result
        if result is None or not self.notify_runs or outcome.request.kind == "chat":
            return
        label = self.model.run_label(result.run_id)
        title = f"run {label}" if label != "-" else "run"
        tokens = format_tokens(result.usage.total)
        if result.ok:
            self.app.notify(f"{outcome.request.label}: completed, {tokens} tok", title=title)
        else:
            failed = ", ".join((*result.failed, *result.skipped)) or "see the log"
            self.app.notify(
                f"{outcome.request.label}: failed ({failed})", title=title, severity="error"
            )

    # -------------------------------------------------------------------- config
    def publish_config(self, status: ConfigStatus) -> None:
        """Record a reload attempt; on success the model follows the runtime's new config."""
        if status.ok:
            self.model.sync_config(self.runtime.config)
        self.model.config_status = status
        self.config_changed.publish(status)
