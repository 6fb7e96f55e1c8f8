"""The process the crash harness kills: run a workflow, or resume what a killed one left.

Usage: python crash_driver.py run|resume CONFIG DATA_DIR RUN_ID
Prints the run results as JSON on stdout. Only core modules are imported (no CLI, no TUI),
so the process starts quickly and more kills land inside the run rather than in imports.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime


async def main(mode: str, config_path: str, data_dir: str, run_id: str) -> None:
    config = load_config(Path(config_path))
    async with build_runtime(config, data_dir=Path(data_dir)) as runtime:
        if mode == "run":
            results = [await runtime.run_workflow("crash", "What is durable?", run_id=run_id)]
        else:
            results = await runtime.resume_unfinished()
    print(json.dumps([result.to_dict() for result in results]))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
