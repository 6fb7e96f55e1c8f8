"""The process the coordinator kill test kills: start a pass, or resume one by run id.

Usage: python coordinator_driver.py run|resume CONFIG DATA_DIR RUN_ID [GOAL]
Prints the run result as JSON on stdout. Only core modules are imported.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime


async def main(mode: str, config_path: str, data_dir: str, run_id: str, goal: str = "") -> None:
    config = load_config(Path(config_path))
    async with build_runtime(config, data_dir=Path(data_dir)) as runtime:
        if mode == "run":
            result = await runtime.run_workflow("team", goal, run_id=run_id)
        else:
            result = await runtime.resume_run(run_id)
    print(json.dumps(result.to_dict()))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
