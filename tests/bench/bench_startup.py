"""Start-up time of the `axo` command: how long a user waits for help, the version, validate.

Run with `.venv/bin/python -m tests.bench.bench_startup` (or `make bench`). Options:
`--runs N` (default 20; `--quick` is 5), `--check` to exit 1 when `axo --help` misses its
goal, and `--imports` to list what `axo --help` spends its import time on.

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
import os
import re
import resource
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, cpu ms) of one run of `argv`."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr.decode(errors='replace')}")
    return elapsed * 1000, cpu * 1000


Samples = dict[str, list[tuple[float, float]]]


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
    return statistics.median(wall for wall, _ in samples[name])


def print_table(samples: Samples) -> None:
    floor = wall_median(samples, "python -c pass")
    width = max(len(name) for name in samples)
    header = (
        f"{'command':<{width}}  {'median ms':>9}  {'min ms':>7}  {'p90 ms':>7}"
        f"  {'over python':>11}  {'cpu ms':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, pairs in samples.items():
        walls = sorted(wall for wall, _ in pairs)
        median = statistics.median(walls)
        p90 = walls[min(len(walls) - 1, round(0.9 * (len(walls) - 1)))]
        over = "" if name == "python -c pass" else f"{median - floor:+.1f}"
        cpu = statistics.median(cpu for _, cpu in pairs)
        print(
            f"{name:<{width}}  {median:9.1f}  {walls[0]:7.1f}  {p90:7.1f}  {over:>11}  {cpu:6.1f}"
        )
    runs = len(samples["python -c pass"])
    load = os.getloadavg()[0]
    print(
        f"\n{runs} runs each, interleaved; {os.cpu_count()} CPUs, load {load:.1f};"
        f" Python {sys.version.split()[0]}"
    )


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
    args = parser.parse_args(argv)
    samples = measure(5 if args.quick else max(1, args.runs))
    print_table(samples)
    help_ms = wall_median(samples, "axo --help")
    verdict = "meets" if help_ms < HELP_GOAL_MS else "MISSES"
    print(f"axo --help: {help_ms:.0f} ms median, {verdict} the {HELP_GOAL_MS:.0f} ms goal")
    if args.imports:
        print_imports()
    return 1 if args.check and help_ms >= HELP_GOAL_MS else 0


if __name__ == "__main__":
    sys.exit(main())
