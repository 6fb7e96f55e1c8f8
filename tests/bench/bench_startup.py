"""Start-up time of the `axo` command: how long a user waits for help, the version, validate.

Run with `.venv/bin/python -m tests.bench.bench_startup` (or `make bench`). Options:
`--runs N` (default 20; `--quick` is 5), `--check` to exit 1 when `axo --help` misses its
goal, `--imports` to list what `axo --help` spends its import time on, and `--no-memory` to
skip the memory table.

Memory matters on a small box (a Raspberry Pi): "peak MB" is each command's peak resident
set, and a second table follows a long-lived runtime (what `axo dev` holds) over
examples/hello on the scripted provider through two runs, so the cost of what loads after
start-up (semantic recall's chromadb and embedding model, about 220 MB) shows.

Each command is a fresh process, as when a user types it. The commands are interleaved run
by run, so a busy neighbour on a shared machine slows all of them alike; a warm-up round
(not timed) fills the OS file cache first. `python -c pass` is the floor no Python command
can beat; "over python" is what axo itself adds. Start-up is single-threaded, so on an idle
machine wall time is about the CPU time; the "cpu ms" column (user + system time of the
process) barely moves when the machine is busy, and is the figure to compare on a loaded
one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HELP_GOAL_MS = 150.0


def axo_command() -> list[str]:
    script = shutil.which("axo", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script]
    return [sys.executable, "-c", "from axo_tui.cli.main import run; run()"]


def commands() -> dict[str, list[str]]:
    axo = axo_command()
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "axo --help": [*axo, "--help"],
        "axo --version": [*axo, "--version"],
        "axo validate examples/hello/axo.yaml": [*axo, "validate", "examples/hello/axo.yaml"],
    }


def environment() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("AXO_DEBUG", "FORCE_COLOR", "PYTHONPROFILEIMPORTTIME"):
        env.pop(key, None)
    return env


def time_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall ms, cpu ms, peak resident MB) of one run of `argv`."""
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert child.stderr is not None
    stderr = child.stderr.read()  # (the pipe is drained before waiting: no deadlock)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own usage, peak RSS included
    child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr.decode(errors='replace')}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed * 1000, cpu * 1000, _max_rss_mb(usage.ru_maxrss)


def _max_rss_mb(maxrss: int) -> float:
    return maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)  # bytes on macOS


Samples = dict[str, list[tuple[float, float, float]]]


def measure(runs: int) -> Samples:
    table = commands()
    env = environment()
    for argv in table.values():  # warm-up: file cache, .pyc files
        time_once(argv, env)
    samples: Samples = {name: [] for name in table}
    for _ in range(runs):
        for name, argv in table.items():
            samples[name].append(time_once(argv, env))
    return samples


def wall_median(samples: Samples, name: str) -> float:
    return statistics.median(wall for wall, _, _ in samples[name])


def print_table(samples: Samples) -> None:
    floor = wall_median(samples, "python -c pass")
    width = max(len(name) for name in samples)
    header = (
        f"{'command':<{width}}  {'median ms':>9}  {'min ms':>7}  {'p90 ms':>7}"
        f"  {'over python':>11}  {'cpu ms':>6}  {'peak MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, runs in samples.items():
        walls = sorted(wall for wall, _, _ in runs)
        median = statistics.median(walls)
        p90 = walls[min(len(walls) - 1, round(0.9 * (len(walls) - 1)))]
        over = "" if name == "python -c pass" else f"{median - floor:+.1f}"
        cpu = statistics.median(cpu for _, cpu, _ in runs)
        peak = max(rss for _, _, rss in runs)
        print(
            f"{name:<{width}}  {median:9.1f}  {walls[0]:7.1f}  {p90:7.1f}  {over:>11}  {cpu:6.1f}"
            f"  {peak:7.1f}"
        )
    runs = len(samples["python -c pass"])
    load = os.getloadavg()[0]
    print(
        f"\n{runs} runs each, interleaved; {os.cpu_count()} CPUs, load {load:.1f};"
        f" Python {sys.version.split()[0]}"
    )


RUNTIME_MEMORY = """
import asyncio, json, shutil, sys, tempfile
from pathlib import Path

def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")

async def main(example, settle):
    project = Path(tempfile.mkdtemp(prefix="axo-bench-")) / "hello"
    shutil.copytree(example, project, ignore=shutil.ignore_patterns(".axo"))  # a fresh project
    config_file = project / "axo.yaml"
    text = config_file.read_text().replace("&provider local", "&provider scripted")
    config_file.write_text(text)
    from axo_tui.core.config import load_config
    from axo_tui.core.runtime.build import build_runtime
    rows = [("runtime imported", rss_mb())]
    async with build_runtime(load_config(config_file)) as runtime:
        rows.append(("runtime started", rss_mb()))
        for number in (1, 2):
            result = await runtime.run_workflow("hello", f"hello, run {number}")
            assert result.ok, result.errors
            await asyncio.sleep(settle)  # background work after a run (memory storing)
            rows.append((f"after run {number}", rss_mb()))
    rows.append(("modules: chromadb loaded", "chromadb" in sys.modules))
    print(json.dumps(rows))
    shutil.rmtree(project.parent, ignore_errors=True)

asyncio.run(main(sys.argv[1], float(sys.argv[2])))
"""
SETTLE_SECS = 2.0
"""Wait after each run: memories are stored after a second of quiet, so this lets any
background loading happen before RSS is read."""


def print_runtime_memory() -> None:
    """RSS of a long-lived runtime (examples/hello, scripted provider) through two runs."""
    if not Path("/proc/self/status").exists():
        print("\n(runtime memory: needs /proc, skipped)")
        return
    result = subprocess.run(
        [sys.executable, "-c", RUNTIME_MEMORY, str(REPO / "examples" / "hello"), str(SETTLE_SECS)],
        cwd=REPO,
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the runtime memory probe failed:\n{result.stderr}")
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    print("\nruntime memory (examples/hello on scripted, one process; RSS MB):")
    for label, value in rows:
        shown = f"{value:7.1f}" if isinstance(value, float) else f"{value!s:>7}"
        print(f"  {label:<26} {shown}")


def print_imports(min_ms: float = 3.0, max_depth: int = 3) -> None:
    """What `axo --help` spends its import time on: the import tree from -X importtime,
    cumulative ms, pruned to entries of at least `min_ms` and `max_depth` levels."""
    code = "import sys; sys.argv = ['axo', '--help']\nfrom axo_tui.cli.main import run\nrun()"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=REPO,
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"\nimports of `axo --help` taking {min_ms:g} ms or more (cumulative, import order):")
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)", line)
        if match is None:
            continue
        cumulative = int(match.group(2)) / 1000
        depth = (len(match.group(3)) - 1) // 2
        if cumulative >= min_ms and depth <= max_depth:
            # importtime prints children before their parent; indent shows the nesting.
            print(f"  {cumulative:7.1f}  {'  ' * depth}{match.group(4)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per command")
    parser.add_argument("--quick", action="store_true", help="5 runs per command")
    parser.add_argument("--check", action="store_true", help="exit 1 if --help misses its goal")
    parser.add_argument("--imports", action="store_true", help="show the slowest imports")
    parser.add_argument("--no-memory", action="store_true", help="skip the runtime memory table")
    args = parser.parse_args(argv)
    samples = measure(5 if args.quick else max(1, args.runs))
    print_table(samples)
    help_ms = wall_median(samples, "axo --help")
    verdict = "meets" if help_ms < HELP_GOAL_MS else "MISSES"
    print(f"axo --help: {help_ms:.0f} ms median, {verdict} the {HELP_GOAL_MS:.0f} ms goal")
    if not args.no_memory:
        print_runtime_memory()
    if args.imports:
        print_imports()
    return 1 if args.check and help_ms >= HELP_GOAL_MS else 0


if __name__ == "__main__":
    sys.exit(main())
