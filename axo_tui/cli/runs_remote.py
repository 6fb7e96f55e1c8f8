"""`axo runs resume|cancel` through the daemon that holds the project (cli/remote.py):
the same results, as their `--json` objects, and the same refusals as on the local path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from axo_tui.cli import output
from axo_tui.cli.remote import RemoteError, ask

if TYPE_CHECKING:
    from axo_tui.cli.remote import Remote

NO_RUN_HINT = "list runs with `axo runs list`"


def resume_remotely(
    remote: Remote, run_id: str | None, *, all_runs: bool
) -> tuple[list[dict[str, Any]], list[str]]:
    """The runs the daemon resumed and the interrupted ones it left alone (no ID, no --all)."""
    if run_id is not None:
        return [_on_run(remote, run_id, "resume")], []
    report = ask(remote, "POST", "/api/stopped-runs/resume", params={"all": all_runs}, wait=True)
    return list(report["runs"]), list(report["left_alone"])


def cancel_remotely(remote: Remote, run_id: str | None) -> list[dict[str, Any]]:
    if run_id is not None:
        return [_on_run(remote, run_id, "cancel")]
    cancelled: list[dict[str, Any]] = ask(remote, "POST", "/api/stopped-runs/cancel", wait=True)
    return cancelled


def _on_run(remote: Remote, run_id: str, action: str) -> dict[str, Any]:
    from axo_tui.cli.remote import ApiClient, run_remote

    async def job(client: ApiClient) -> dict[str, Any]:
        try:
            result: dict[str, Any] = await client.call(
                "POST", f"/api/runs/{run_id}/{action}", wait=True
            )
        except RemoteError as exc:
            if exc.code != "not_found":
                raise
            output.error(f"no run '{run_id}'", hint=NO_RUN_HINT)  # as the local path says it
            raise typer.Exit(1) from None
        return result

    result: dict[str, Any] = run_remote(remote, job)
    return result
