"""The default lattice stays in one process: no cluster, and NATS is never even imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.cluster_project import ROOT, write_node

SCRIPT = """
import asyncio, sys
from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime

async def main() -> None:
    async with build_runtime(load_config(sys.argv[1]), background=True) as runtime:
        result = await runtime.run_workflow("flow", "go")
        print(result.status, runtime.cluster is None)
    loaded = [m for m in sys.modules if m == "nats" or m.startswith(("nats.", "axo_tui.core.distributed"))]
    print("loaded:", loaded)

asyncio.run(main())
"""


def test_a_local_lattice_runs_without_nats(tmp_path: Path) -> None:
    path = write_node(tmp_path, node="n1", servers=["nats://127.0.0.1:1"], prefix="p")
    path.write_text(path.read_text().replace("  backend: nats\n", ""))  # the default
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["completed True", "loaded: []"]
