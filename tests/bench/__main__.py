"""Run every benchmark module in this folder: `python -m tests.bench [NAME ...] [-- ARGS]`.

Each `bench_*.py` module is run as if by `python -m tests.bench.<module>` and prints its own
table(s), so a new benchmark only has to be a `bench_*.py` file with a `__main__` guard.
NAMEs select modules by substring (`python -m tests.bench runtime`); arguments after `--`
are passed to every selected module. A module that fails does not stop the others; the
exit status says whether any failed.
"""

from __future__ import annotations

import runpy
import sys
import time
import traceback
from pathlib import Path

PACKAGE = __spec__.parent if __spec__ is not None and __spec__.parent else "tests.bench"


def discover() -> list[str]:
    return sorted(path.stem for path in Path(__file__).parent.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    names, passthrough = argv, []
    if "--" in argv:
        split = argv.index("--")
        names, passthrough = argv[:split], argv[split + 1 :]
    modules = [m for m in discover() if not names or any(n in m for n in names)]
    if not modules:
        print(f"no benchmark matches {names}; known: {', '.join(discover()) or 'none'}")
        return 2
    failed: list[str] = []
    for module in modules:
        print(f"\n# {module}", flush=True)
        started = time.perf_counter()
        saved_argv = sys.argv
        sys.argv = [f"{PACKAGE}.{module}", *passthrough]
        try:
            runpy.run_module(f"{PACKAGE}.{module}", run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            if exc.code not in (0, None):
                failed.append(module)
        except Exception:
            traceback.print_exc()
            failed.append(module)
        finally:
            sys.argv = saved_argv
        print(f"\n({module}: {time.perf_counter() - started:.1f}s)", flush=True)
    if failed:
        print(f"\nbenchmarks failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
