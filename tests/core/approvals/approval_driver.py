"""The process the approval crash tests kill: run the `ops` agent, or resume what a killed
one left. Usage: python approval_driver.py run|resume CONFIG DATA_DIR. Prints the run
results as JSON. Only core modules are imported, so it starts quickly."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime


async def main(mode: str, config_path: str, data_dir: str) -> None:
    config = load_config(Path(config_path))
    async with build_runtime(config, data_dir=Path(data_dir)) as runtime:
        if mode == "run":
            results = [await runtime.run_agent("ops", "check the disk")]
        else:
            results = await runtime.resume_unfinished()
    print(json.dumps([result.to_dict() for result in results]))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
