"""How a long-lived front end (`axo dev`, `axo serve`) hosts a project's runtime.

Both start it the same way (background jobs on, the runs a crash left unfinished resumed at
once), follow the config file the same way (`reload.ConfigFollower`), and stop it leaving
the runs in flight resumable, so a user gets the same project whichever one they open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from axo_tui.core.runtime.runtime import Runtime


def start_hosted(runtime: Runtime) -> None:
    """Start `runtime` (built with `background=True`) and resume, in the background, the
    runs a crashed or killed process left unfinished: they show up like any other run."""
    runtime.start()
    runtime.spawn(runtime.resume_unfinished())


async def stop_hosted(runtime: Runtime) -> list[str]:
    """Stop the runs in flight (recorded `interrupted`, resumable with `axo runs resume`)
    and close the runtime. Returns the ids of the runs stopped."""
    try:
        stopped = await runtime.stop_runs()
    finally:
        await runtime.close()
    return stopped
