"""How a long-lived front end (`axo dev`, `axo serve`) hosts a project's runtime.

Both start it the same way (background jobs on, the runs a crash left unfinished resumed at
once, remote A2A agents' cards checked), follow the config file the same way
(`reload.ConfigFollower`), and stop it leaving the runs in flight resumable, so a user gets
the same project whichever one they open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from axo_tui.core.runtime.peer_checks import check_remote_agents
from axo_tui.core.store.owner_lease import announce_host

if TYPE_CHECKING:
    from axo_tui.core.runtime.runtime import Runtime


def start_hosted(runtime: Runtime, holder: str = "axo dev") -> None:
    """Start `runtime` (built with `background=True`) and resume, in the background, the
    runs a crashed or killed process left unfinished: they show up like any other run.
    Remote A2A agents' cards are checked meanwhile (a bad peer is a RuntimeNotice).
    `holder` names the front end to a CLI that finds the project held."""
    runtime.start()
    announce_host(runtime.state_dir, runtime.owner, holder)
    runtime.spawn(runtime.resume_unfinished())
    check_remote_agents(runtime)


async def stop_hosted(runtime: Runtime) -> list[str]:
    """Stop the runs in flight (recorded `interrupted`, resumable with `axo runs resume`)
    and close the runtime. Returns the ids of the runs stopped."""
    try:
        stopped = await runtime.stop_runs()
    finally:
        await runtime.close()
    return stopped


def announce_serving(runtime: Runtime, holder: str, url: str) -> None:
    """Tell CLIs that the hosted `runtime` now answers at `url` (its HTTP API)."""
    announce_host(runtime.state_dir, runtime.owner, holder, url)
