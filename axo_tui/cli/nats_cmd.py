"""`axo nats up|node|status`: a local NATS server for development, this project as a node of
a cluster, and what the cluster holds (docs/distributed.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import data_dir, load_project, run_async

nats_app = AxoTyper(
    name="nats",
    help="Run the lattice across machines on NATS JetStream (`lattice.backend: nats`).",
    no_args_is_help=True,
)


def register(app: AxoTyper) -> None:
    app.add_typer(nats_app)


@nats_app.command("up")
def up(
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="Client port.")
    ] = 4222,
    servers: Annotated[
        int,
        typer.Option(
            "--servers",
            min=1,
            max=5,
            help="How many servers: 3 makes a cluster on 127.0.0.1 (ports PORT, PORT+1, ...), "
            "for `replicas: 3`.",
        ),
    ] = 1,
    store: Annotated[
        str | None,
        typer.Option("--store", help="Where JetStream keeps its data (default: .axo/nats)."),
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="Require this token from clients.")
    ] = None,
) -> None:
    """Start a local nats-server with JetStream, in the foreground, for development.

    Ctrl+C stops it. Point the project at it with `lattice: {backend: nats}` (the default
    server is nats://127.0.0.1:4222).
    """
    from pathlib import Path

    from axo_tui.core.distributed.dev_server import DevServerError, run_dev_servers

    directory = Path(store) if store else Path.cwd() / ".axo" / "nats"
    try:
        code = run_dev_servers(
            directory, port=port, count=servers, token=token, say=output.print_line
        )
    except DevServerError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@nats_app.command("node")
def node(ctx: typer.Context) -> None:
    """Run this project as a node of its cluster: claim the steps of the agents placed here
    (all agents, unless `lattice.placement` says otherwise) until SIGTERM or Ctrl+C.

    Also does what `axo serve` does without the HTTP API: schedules, proactive triggers,
    consolidation, resuming this node's crashed local runs.
    """
    from axo_tui.core.base.errors import AxoError
    from axo_tui.core.config.nats_schema import LatticeBackend
    from axo_tui.core.runtime.build import build_runtime

    config = load_project(ctx)
    if config.lattice.cluster.backend is not LatticeBackend.NATS:
        output.error(
            "this project's lattice runs in one process",
            hint="set `lattice: {backend: nats}` in axo.yaml (docs/distributed.md)",
        )
        raise typer.Exit(1)
    runtime = build_runtime(config, data_dir=data_dir(ctx, config), background=True)
    try:
        run_async(_serve_node(runtime))
    except AxoError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None


async def _serve_node(runtime: object) -> None:
    import asyncio
    import signal

    from axo_tui.core.base.redact import redact_url
    from axo_tui.core.runtime.hosting import start_hosted, stop_hosted
    from axo_tui.core.runtime.runtime import Runtime

    assert isinstance(runtime, Runtime)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    start_hosted(runtime, holder="axo nats node")
    try:
        cluster = runtime.cluster
        assert cluster is not None and cluster.node is not None
        member = cluster.node
        await member.ready()
        claims = ", ".join(member.agents) or "none"
        servers = ", ".join(redact_url(url) for url in member.settings.nats.servers)
        output.print_line(
            f"node {member.name} ready ({servers}); claims steps of: {claims}",
            stderr=True,
        )
        await stop.wait()
    finally:
        await stop_hosted(runtime)


@nats_app.command("status")
def status(ctx: typer.Context) -> None:
    """What the cluster holds: its streams, and each agent's queue of steps."""
    from axo_tui.core.distributed.connection import ClusterError
    from axo_tui.core.distributed.inspect import cluster_status
    from axo_tui.core.distributed.node import node_name

    config = load_project(ctx)
    settings = config.lattice.cluster
    agents = list(dict.fromkeys(a for w in config.workflows for a in w.agents))
    try:
        lines = run_async(cluster_status(settings.nats, node_name(settings), agents))
    except ClusterError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    for line in lines:
        output.print_line(line)
