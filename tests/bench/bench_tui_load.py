"""TUI under load: the real `axo dev` app, headless, while its runtime's bus carries a flood.

Run with `.venv/bin/python -m tests.bench.bench_tui_load [--seconds N] [--rate R]` (defaults:
30 s at 2,000 events/s; `--quick` is 5 s). Prints one table.

What happens:

- The app is built by `build_app`, exactly as `axo dev` builds it, on a project made from the
  `research` template (five agents in a diamond, a skill), and driven with Textual's Pilot
  (`App.run_test`, 120x40). Clocks, animation and the log's times are on, as for a user.
- A task on the app's own event loop (where the engine runs too) emits synthetic runs on the
  runtime's bus at the target rate: three runs in flight at once, each agent activating,
  streaming ~60 tokens with a line break every ~12, calling a tool one time in three, and
  depositing lattice signals. About 85% of the events are `token.streamed`. The journal sink
  stays attached, so journaled events are written to SQLite as in real use.
- Every 250 ms a key is pressed through `pilot.press`: a letter or a backspace in the run
  bar, and every few seconds the log-filter round trip (escape, `f`, down, enter, `r`).

What is measured:

- Events published on the bus vs delivered to the dev screen (a subscriber on the bridge's
  `events` signal, called through the screen's own message queue, after the widgets' own
  handler). Transcript events must all arrive; status events (lattice pulses, usage) may
  be coalesced by the bus when a subscriber lags, which is counted separately.
- Batches: how many times the bridge folded events into the model and the widgets.
- Keypress-to-render latency: from the call of `pilot.press` to the first screen refresh
  (`App._display`, reached in headless mode too, after the compositor has rendered the
  update) whose state shows the key's effect: the input's new value, the filter dialog on
  screen, the highlighted option, the log's new filter, the focus back in the run bar.
  Headless, the bytes are not written to a terminal; the rendering itself is real.
- Where the UI's time goes: each step of a batch (the bridge folding events into the model,
  then each widget's handler) and the log's redraw when its filter changes, timed by
  wrapping those methods on the live instances: wall time, and the thread's CPU time over
  the same calls (wall well above CPU: the process was waiting for a core).
- CPU time of the process (user + system) over the flood, as a share of one core, the
  event-loop lag (how late a 10 ms sleep wakes up), and the peak RSS.

On a shared machine, read the latencies with the load average printed under the table: the
app and the flood share one event loop, so a process that gets a fraction of a core sees its
frames, and so its keypresses, late. `--check` exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axo_tui.cli.scaffold import get_template, scaffold
from axo_tui.core.config import load_config
from axo_tui.core.events.catalog import (
    AgentActivated,
    AgentCompleted,
    Event,
    LatticeSignal,
    RunCompleted,
    RunStarted,
    TokenStreamed,
    ToolCalled,
    ToolResult,
    UsageRecorded,
)
from axo_tui.tui.app import AxoApp, build_app
from axo_tui.tui.screens.dev import DevScreen
from axo_tui.tui.settings import WorkbenchSettings
from axo_tui.tui.widgets.event_log import EventLog
from axo_tui.tui.widgets.log_filter import LogFilterDialog

RATE = 2000
SECONDS = 30.0
KEY_INTERVAL = 0.25
FILTER_EVERY = 12
"""Every this many key slots, the log-filter round trip instead of one keystroke."""
LATENCY_GOAL_MS = 100.0
KEY_TIMEOUT = 15.0
"""A key whose effect is not on screen by then counts as never shown (and the next goes in)."""
CONCURRENT_RUNS = 3
TOKENS_PER_ACTIVATION = 60
TICK = 0.005
"""The flood emits what is due every 5 ms: a steady stream, not one burst per second."""
SIZE = (120, 40)
PROSE = (
    "the plan splits the question into three parts: what it is, how it works and why it "
    "matters; each claim needs a source and a year, and the draft must name one limitation"
)
WORDS = tuple(PROSE.split())

EventSpec = tuple[type[Event], dict[str, Any]]


# -- the workload ------------------------------------------------------------------------------


def one_run(
    number: int, workflow: str, agents: list[str], rng: random.Random
) -> Iterator[EventSpec]:
    """The events of one workflow run, in the order the engine would emit them."""
    run_id = f"bench-{number:06d}"
    yield (
        RunStarted,
        {
            "run_id": run_id,
            "run_kind": "workflow",
            "target": workflow,
            "input": f"question {number}",
        },
    )
    for agent in agents:
        activation = f"{run_id}-{agent}"
        yield LatticeSignal, _signal(run_id, agent, rng, fired=True)
        yield (
            AgentActivated,
            {
                "run_id": run_id,
                "agent_id": agent,
                "activation_id": activation,
                "trigger": "workflow",
                "input": f"question {number}",
            },
        )
        with_tool = rng.random() < 1 / 3
        for index in range(TOKENS_PER_ACTIVATION):
            text = rng.choice(WORDS) + ("\n" if index % 12 == 11 else " ")
            yield (
                TokenStreamed,
                {"run_id": run_id, "agent_id": agent, "activation_id": activation, "text": text},
            )
            if index % 20 == 10:
                yield LatticeSignal, _signal(run_id, agent, rng, fired=False)
            if with_tool and index == 30:
                call = f"{activation}-call"
                arguments = {"query": " ".join(rng.sample(WORDS, 3))}
                yield (
                    ToolCalled,
                    {
                        "run_id": run_id,
                        "agent_id": agent,
                        "activation_id": activation,
                        "call_id": call,
                        "tool": "web_search",
                        "arguments": arguments,
                    },
                )
                yield (
                    ToolResult,
                    {
                        "run_id": run_id,
                        "agent_id": agent,
                        "activation_id": activation,
                        "call_id": call,
                        "tool": "web_search",
                        "ok": True,
                        "result": "3 results",
                    },
                )
        yield (
            UsageRecorded,
            {
                "run_id": run_id,
                "agent_id": agent,
                "provider": "scripted",
                "model": "scripted",
                "prompt_tokens": 300,
                "completion_tokens": TOKENS_PER_ACTIVATION,
            },
        )
        yield (
            AgentCompleted,
            {
                "run_id": run_id,
                "agent_id": agent,
                "activation_id": activation,
                "output": "done",
                "prompt_tokens": 300,
                "completion_tokens": TOKENS_PER_ACTIVATION,
            },
        )
    yield RunCompleted, {"run_id": run_id, "status": "completed", "output": f"answer {number}"}


def _signal(run_id: str, agent: str, rng: random.Random, *, fired: bool) -> dict[str, Any]:
    intensity = 1.0 if fired else rng.uniform(0.1, 0.9)
    return {
        "run_id": run_id,
        "agent_id": agent,
        "signal": "TaskCompleted",
        "weight": 0.5,
        "intensity": intensity,
        "threshold": 1.0,
        "fired": fired,
    }


def workload(workflow: str, agents: list[str], seed: int = 7) -> Iterator[EventSpec]:
    """Endless events from `CONCURRENT_RUNS` runs in flight at once, interleaved at random
    (parallel agents stream side by side, as in a diamond's middle)."""
    rng = random.Random(seed)
    numbers = itertools.count(1)
    running = [one_run(next(numbers), workflow, agents, rng) for _ in range(CONCURRENT_RUNS)]
    while True:
        slot = rng.randrange(len(running))
        try:
            yield next(running[slot])
        except StopIteration:
            running[slot] = one_run(next(numbers), workflow, agents, rng)


# -- instruments -------------------------------------------------------------------------------


@dataclass
class Tally:
    published: Counter[str] = field(default_factory=Counter)
    delivered: Counter[str] = field(default_factory=Counter)
    """Keys: "transcript" and "status", plus each event kind under "kind:<kind>"."""

    def count(self, counter: Counter[str], event: Event) -> None:
        counter["transcript" if event.transcript else "status"] += 1
        counter[f"kind:{event.kind}"] += 1


@dataclass
class Pending:
    kind: str
    started: float
    shows: Callable[[Any], bool]
    """Given the screen being displayed: does it show the key's effect?"""


class RenderProbe:
    """Wraps `App._display` (called once per screen refresh, after the compositor rendered
    the update) to time keypress-to-render and to count frames."""

    def __init__(self, app: AxoApp) -> None:
        self.frames = 0
        self.pending: Pending | None = None
        self.latencies: dict[str, list[float]] = {}
        self.missed: Counter[str] = Counter()
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                self.frames += 1
                pending = self.pending
                if pending is not None and pending.shows(screen):
                    elapsed = time.perf_counter() - pending.started
                    self.latencies.setdefault(pending.kind, []).append(elapsed)
                    self.pending = None
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    def expect(self, kind: str, shows: Callable[[Any], bool]) -> None:
        if self.pending is not None:
            self.missed[self.pending.kind] += 1
        self.pending = Pending(kind, time.perf_counter(), shows)


@dataclass
class StageTimer:
    """Wall time of one step of the UI's work per batch (or per call)."""

    calls: int = 0
    total: float = 0.0
    worst: float = 0.0
    cpu: float = 0.0
    """CPU time of the thread over the same calls: wall time well above it means the process
    was waiting for a core (a busy machine), not working."""


def time_calls(owner: Any, method: str, timer: StageTimer) -> None:
    """Replace `owner.method` on the instance by a timed wrapper (callers look it up on the
    instance, so they reach the wrapper)."""
    original = getattr(owner, method)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started, cpu_started = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            timer.cpu += time.thread_time() - cpu_started
            timer.calls += 1
            timer.total += elapsed
            timer.worst = max(timer.worst, elapsed)

    setattr(owner, method, timed)


def instrument(app: AxoApp, dev: DevScreen) -> dict[str, StageTimer]:
    """Time the bridge's fold and each widget's share of a batch, and the log's redraw."""
    from axo_tui.tui.widgets.agents import AgentsTable
    from axo_tui.tui.widgets.event_log import StreamTail
    from axo_tui.tui.widgets.header import HeaderLine
    from axo_tui.tui.widgets.lattice import LatticeView

    stages = {
        "fold into the model": (app.bridge, "flush"),
        "lattice": (dev.query_one(LatticeView), "on_events"),
        "agents table": (dev.query_one(AgentsTable), "on_events"),
        "log: new lines": (dev.query_one(EventLog), "on_events"),
        "stream tail": (dev.query_one(StreamTail), "on_events"),
        "header": (dev.query_one(HeaderLine), "update_text"),
        "log: redraw for a filter": (dev.query_one(EventLog), "set_filter"),
    }
    timers: dict[str, StageTimer] = {}
    for name, (owner, method) in stages.items():
        timers[name] = StageTimer()
        time_calls(owner, method, timers[name])
    return timers


@dataclass
class LoopLag:
    samples: list[float] = field(default_factory=list)

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append(time.perf_counter() - before - 0.01)


def rss_mb() -> float:
    with Path("/proc/self/statm").open() as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the run -----------------------------------------------------------------------------------


@dataclass
class Result:
    seconds: float
    rate: float
    tally: Tally
    batches: int
    frames: int
    latencies: dict[str, list[float]]
    missed_keys: Counter[str]
    stages: dict[str, StageTimer]
    coalesced: int
    cpu: float
    loop_lag: list[float]
    rss_start: float
    rss_end: float
    peak_rss: float
    log_lines: int
    """Lines the model's log received (the widget shows the ones the filter lets through)."""
    drain_seconds: float


async def flood(app: AxoApp, tally: Tally, rate: float, seconds: float) -> float:
    """Emit the workload at `rate` events/s for `seconds`; returns the real duration."""
    bus = app.bridge.runtime.bus
    config = app.bridge.runtime.config
    workflow = config.workflows[0]
    events = workload(workflow.id, list(workflow.agents))
    started = time.perf_counter()
    emitted = 0
    while (elapsed := time.perf_counter() - started) < seconds:
        due = int(rate * elapsed)
        while emitted < due:
            event_type, fields = next(events)
            tally.count(tally.published, bus.emit(event_type, **fields))
            emitted += 1
        await asyncio.sleep(TICK)
    return time.perf_counter() - started


class KeyDriver:
    """A keystroke every KEY_INTERVAL; every FILTER_EVERY slots, the filter round trip.

    `pilot.press` sends the key at once, then waits for the app to look idle (up to a second,
    twice), which under a flood it never does. So each press runs as its own task: the
    latency clock starts when `pilot.press` is called and stops at the refresh that shows
    the key's effect, and the next key goes in as soon as that refresh happened and the
    interval has passed.
    """

    def __init__(self, app: AxoApp, pilot: Any, probe: RenderProbe) -> None:
        from textual.widgets import Input

        self.app = app
        self.pilot = pilot
        self.probe = probe
        dev = app.get_screen("dev")
        assert isinstance(dev, DevScreen)
        self.run_input = dev.query_one("#run-input", Input)
        self.log = dev.query_one(EventLog)
        self.letters = itertools.cycle("abcdefghij")
        self.presses: list[asyncio.Task[None]] = []

    async def press(self, key: str, kind: str, shows: Callable[[Any], bool]) -> None:
        self.probe.expect(kind, shows)
        self.presses.append(asyncio.create_task(self.pilot.press(key)))
        deadline = time.perf_counter() + KEY_TIMEOUT
        while self.probe.pending is not None and time.perf_counter() < deadline:
            await asyncio.sleep(0.002)

    async def run(self, stop: asyncio.Event) -> None:
        for slot in itertools.count(1):
            if stop.is_set():
                break
            slot_started = time.perf_counter()
            if slot % FILTER_EVERY == 0:
                await self.filter_round_trip()
            else:
                await self.keystroke(slot)
            await asyncio.sleep(max(0.0, KEY_INTERVAL - (time.perf_counter() - slot_started)))
        await asyncio.gather(*self.presses, return_exceptions=True)

    async def keystroke(self, slot: int) -> None:
        run_input = self.run_input
        before = run_input.value
        # Any change of the value is the key's effect: after the run bar regains focus its
        # text is selected, and a letter replaces it rather than appending to it.
        key = "backspace" if before and (slot % 2 == 0 or len(before) >= 20) else next(self.letters)
        await self.press(key, "type in the run bar", lambda _: run_input.value != before)

    async def filter_round_trip(self) -> None:
        """Leave the input, open the filter, move to the next agent, apply, come back."""
        from textual.widgets import OptionList

        app, log, run_input = self.app, self.log, self.run_input
        before = log.log_filter
        await self.press(
            "escape", "focus the log", lambda s: isinstance(s, DevScreen) and app.focused is log
        )
        dev = log.screen
        dialog = dev.query_one(LogFilterDialog)
        await self.press(
            "f",
            "open the filter",
            lambda s: s is dev and dialog in s._compositor.visible_widgets,
        )
        if not dialog.is_open:
            return
        agents = dialog.query_one("#filter-agents", OptionList)
        start = agents.highlighted
        await self.press(
            "down", "move in the filter", lambda s: s is dev and agents.highlighted != start
        )
        await self.press(
            "enter",
            "apply the filter",
            lambda s: (
                s is dev
                and log.log_filter != before
                and dialog not in s._compositor.visible_widgets
            ),
        )
        await self.press(
            "r",
            "back to the run bar",
            lambda s: isinstance(s, DevScreen) and app.focused is run_input,
        )


async def measure(seconds: float, rate: float) -> Result:
    with tempfile.TemporaryDirectory(prefix="axo-bench-tui-") as tmp:
        project = Path(tmp) / "bench"
        scaffold(get_template("research"), project)
        config_path = project / "axo.yaml"
        settings = WorkbenchSettings(watch_config=False, notify_runs=False)
        app = build_app(
            config_path,
            config=load_config(config_path),
            data_dir=project / ".axo",
            settings=settings,
        )
        tally = Tally()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            dev = app.get_screen("dev")

            def delivered(batch: list[Event]) -> None:
                for event in batch:
                    tally.count(tally.delivered, event)

            # Subscribed after the screen's own handler, through the same message queue:
            # a batch counts once the widgets have had it.
            app.bridge.events.subscribe(dev, delivered)
            assert isinstance(dev, DevScreen)
            stages = instrument(app, dev)
            probe = RenderProbe(app)
            lag = LoopLag()
            stop = asyncio.Event()
            rss_start = rss_mb()
            cpu_start = cpu_seconds()
            watchers = [
                asyncio.create_task(lag.watch(stop)),
                asyncio.create_task(KeyDriver(app, pilot, probe).run(stop)),
            ]
            duration = await flood(app, tally, rate, seconds)
            cpu = cpu_seconds() - cpu_start
            # How long the last events take to reach the screen once the flood stops.
            drain_started = time.perf_counter()
            deadline = drain_started + 30
            while (
                tally.delivered["transcript"] < tally.published["transcript"]
                and time.perf_counter() < deadline
            ):
                await asyncio.sleep(0.002)
            drain = time.perf_counter() - drain_started
            stop.set()
            await asyncio.gather(*watchers)
            await pilot.pause(0.1)
            subscription = app.bridge._subscription
            log_lines = app.model.log.total
            result = Result(
                seconds=duration,
                rate=rate,
                tally=tally,
                batches=app.bridge.batches,
                frames=probe.frames,
                latencies=probe.latencies,
                missed_keys=probe.missed,
                stages=stages,
                coalesced=subscription.coalesced if subscription is not None else 0,
                cpu=cpu,
                loop_lag=lag.samples,
                rss_start=rss_start,
                rss_end=rss_mb(),
                peak_rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                log_lines=log_lines,
                drain_seconds=drain,
            )
    return result


# -- the report --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def print_table(result: Result) -> bool:
    """Print the report; True when every goal is met."""
    published, delivered = result.tally.published, result.tally.delivered
    dropped = published["transcript"] - delivered["transcript"]
    total = published["transcript"] + published["status"]
    seconds = result.seconds
    latencies = [value for values in result.latencies.values() for value in values]
    p95 = percentile(latencies, 0.95) if latencies else float("inf")
    latency_met = p95 * 1000 < LATENCY_GOAL_MS
    mix = (
        f"{published['kind:token.streamed'] / max(1, total):.0%} token.streamed, "
        f"{published['kind:lattice.signal']:,} lattice.signal, "
        f"{published['kind:tool.called']:,} tool.called, {published['kind:run.started']:,} runs"
    )
    rows: list[tuple[str, str, str]] = [
        ("flood", f"{total:,} events in {seconds:.1f} s = {total / seconds:,.0f}/s", ""),
        ("  mix", mix, ""),
        (
            "transcript events",
            f"{published['transcript']:,} published, {delivered['transcript']:,} delivered",
            f"dropped {dropped:,} (goal 0: {'met' if dropped == 0 else 'MISSED'})",
        ),
        (
            "status events",
            f"{published['status']:,} published, {delivered['status']:,} delivered",
            f"{result.coalesced:,} coalesced by the bus",
        ),
        (
            "batches to the UI",
            f"{result.batches:,} = {result.batches / seconds:.1f}/s",
            f"{total / max(1, result.batches):,.0f} events per batch",
        ),
        ("screen refreshes", f"{result.frames:,} = {result.frames / seconds:.1f}/s", ""),
        ("log lines", f"{result.log_lines:,}", "the widget keeps the last 5,000"),
        ("drain after the flood", ms(result.drain_seconds), "until the last event was on screen"),
    ]
    if latencies:
        rows.append(
            (
                "keypress -> render",
                f"n={len(latencies)}  p50 {ms(statistics.median(latencies))}  "
                f"p95 {ms(p95)}  max {ms(max(latencies))}",
                f"goal p95 < {LATENCY_GOAL_MS:.0f} ms: {'met' if latency_met else 'MISSED'}",
            )
        )
        for kind, values in result.latencies.items():
            rows.append(
                (
                    f"  {kind}",
                    f"n={len(values)}  p50 {ms(statistics.median(values))}  "
                    f"p95 {ms(percentile(values, 0.95))}  max {ms(max(values))}",
                    "",
                )
            )
    for kind, count in result.missed_keys.items():
        rows.append(
            (f"  {kind}", f"{count} never shown", f"no refresh showed it within {KEY_TIMEOUT:g} s")
        )
    rows.append(("UI work per call", "calls  wall mean / max", "CPU mean; wall in all"))
    for name, timer in result.stages.items():
        if timer.calls:
            mean, cpu = ms(timer.total / timer.calls), ms(timer.cpu / timer.calls)
            rows.append(
                (
                    f"  {name}",
                    f"{timer.calls:5,}  {mean} / {ms(timer.worst)}",
                    f"{cpu}; {timer.total:.1f} s",
                )
            )
    lag = result.loop_lag
    if lag:
        rows.append(
            (
                "event-loop lag",
                f"p50 {ms(statistics.median(lag))}  p95 {ms(percentile(lag, 0.95))}  "
                f"max {ms(max(lag))}",
                "how late a 10 ms sleep wakes up",
            )
        )
    rows += [
        (
            "CPU (user + system)",
            f"{result.cpu:.1f} s = {result.cpu / seconds:.0%} of one core",
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
        ),
        (
            "RSS",
            f"{result.rss_start:.0f} MB -> {result.rss_end:.0f} MB",
            f"peak {result.peak_rss:.0f} MB",
        ),
    ]
    width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    python = sys.version.split()[0]
    print(
        f"\nTUI under load: axo dev on the research template, headless {SIZE[0]}x{SIZE[1]}, "
        f"{result.rate:,.0f} events/s for {seconds:.0f} s, Python {python}"
    )
    print("-" * (width + value_width + 40))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:<{value_width}}  {note}".rstrip())
    return dropped == 0 and latency_met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=SECONDS, help=f"flood duration (default {SECONDS:g})"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=RATE,
        help=f"events per second (default {RATE}; 0 measures the keys on an idle app)",
    )
    parser.add_argument("--quick", action="store_true", help="5 seconds")
    parser.add_argument("--check", action="store_true", help="exit 1 if a goal is missed")
    args = parser.parse_args(argv)
    seconds = 5.0 if args.quick else args.seconds
    from axo_tui import process_tuning

    # As `axo dev` runs: its entry point tunes the collector (and the app then freezes its
    # start-up objects); an embedded app does neither.
    process_tuning.tune_for_axo()
    result = asyncio.run(measure(seconds, args.rate))
    met = print_table(result)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
