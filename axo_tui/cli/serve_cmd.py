"""`axo serve [--host H] [--port P] [--json]` and `axo service install|uninstall|status`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from axo_tui.cli import output
from axo_tui.cli.context import get_state
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import data_dir, load_project, run_async

if TYPE_CHECKING:
    import logging

    from axo_tui.core.config import Config

service_app = AxoTyper(
    name="service",
    help="Run `axo serve` at boot as a systemd user unit.",
    no_args_is_help=True,
)

HostOption = Annotated[
    str | None,
    typer.Option(
        "--host",
        help="Address to listen on (default: server.host, else 127.0.0.1).",
        show_default=False,
    ),
]
PortOption = Annotated[
    int | None,
    typer.Option(
        "--port",
        "-p",
        min=0,
        max=65535,
        help="TCP port (default: server.port, else 8080; 0 picks a free one).",
        show_default=False,
    ),
]


server_app = AxoTyper(
    name="server",
    help="Caxton's spelling: `axo server start` is `axo serve`.",
    no_args_is_help=True,
)


def register(app: AxoTyper) -> None:
    app.command("serve")(serve)
    app.add_typer(service_app)
    # Caxton's quick start begins with `caxton server start`: the same words work here.
    server_app.command("start")(serve)
    app.add_typer(server_app, hidden=True)


def serve(
    ctx: typer.Context,
    host: HostOption = None,
    port: PortOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Log one JSON object per line (for log collectors).")
    ] = False,
) -> None:
    """Run the project as a daemon with an HTTP API (docs/http.md).

    Keeps everything [bold]axo dev[/bold] does (hot reload of axo.yaml, schedules, proactive
    triggers, consolidation, resuming crashed runs) with no terminal. Open on 127.0.0.1;
    any other address needs a token (AXO_API_TOKEN or server.token). SIGTERM or Ctrl+C stops
    it; runs in flight are left resumable.
    """
    import logging

    from axo_tui.cli.remote import claim_hosting
    from axo_tui.core.base.errors import AxoError
    from axo_tui.core.runtime.build import build_runtime
    from axo_tui.serve.daemon import bind, run_daemon
    from axo_tui.serve.http.host import ServeSettings

    config = load_project(ctx)
    as_json = as_json or get_state(ctx).log_format == "json"  # --log-format, AXO_LOG_FORMAT
    say = _json_say if as_json else _plain_say
    state_dir = data_dir(ctx, config)
    try:
        # Before the port: a second `axo serve` is told who hosts the project, whatever
        # port either asked for, and the running one is left alone.
        claim = claim_hosting(state_dir)
        if isinstance(claim, str):
            _fail(say, claim)
        settings = ServeSettings.resolve(config.server, host=host, port=port)
        sock = bind(settings)
    except AxoError as exc:
        _fail(say, str(exc))
    logging.basicConfig(level=logging.WARNING, handlers=[_log_handler(say)], force=True)
    from axo_tui.core.telemetry.wiring import ProjectTelemetry

    telemetry = ProjectTelemetry(config)  # a tracer only with observability.otlp_endpoint
    runtime = build_runtime(
        config,
        data_dir=state_dir,
        background=True,
        subscribers=telemetry.subscribers,
    )
    try:
        run_async(
            run_daemon(
                runtime, settings, config_path=get_state(ctx).config_path(), say=say, sock=sock
            )
        )
    except AxoError as exc:  # a damaged journal, an unwritable data directory
        _fail(say, str(exc))
    finally:
        telemetry.close()  # the last spans are flushed
        claim.release()


def _fail(say: Any, message: str) -> NoReturn:
    say("error", message, level="error")
    raise typer.Exit(1)


def _plain_say(event: str, message: str, **_fields: Any) -> None:
    prefix = "axo serve: error: " if event == "error" else "axo serve: "
    print(prefix + message, file=sys.stderr, flush=True)


def _json_say(event: str, message: str, **fields: Any) -> None:
    """One line in the schema of axo's JSON logs (docs/observability.md), `kind`
    `serve.<event>`; `event` stays for the collectors that read it first."""
    from axo_tui.core.telemetry.logs import log_line

    level = fields.pop("level", None) or (
        "warning" if event == "config.rejected" else "error" if event == "error" else "info"
    )
    record = log_line(
        ts=round(time.time(), 3),
        level=level,
        kind=f"serve.{event}",
        message=message,
        run_id=fields.pop("run_id", None),
        agent_id=fields.pop("agent_id", None),
        event=event,
        **fields,
    )
    print(json.dumps(record), file=sys.stderr, flush=True)


def _log_handler(say: Any) -> logging.Handler:
    """Warnings and errors of the server's libraries, as the daemon's own log lines."""
    import logging

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            say("log", text, level=record.levelname.lower(), logger=record.name)

    return Handler()


@service_app.command("install")
def install(ctx: typer.Context, host: HostOption = None, port: PortOption = None) -> None:
    """Write a systemd user unit that runs `axo serve` for this project, and start it."""
    from axo_tui.serve import systemd

    config = load_project(ctx)
    unit = _unit(ctx, config, host, port)
    unit.path.parent.mkdir(parents=True, exist_ok=True)
    unit.path.write_text(unit.text, encoding="utf-8")
    output.print_line(f"wrote {unit.path}")
    if not systemd.systemctl_available():
        output.print_line(unit.text)
        output.warning(
            "systemctl --user is not available here: nothing was started",
            hint=f"run `axo serve` from your init system or a supervisor; the unit above "
            f"(also in {unit.path}) shows the command line",
        )
        return
    for args in (("daemon-reload",), ("enable", "--now", unit.name)):
        done = systemd.systemctl(*args)
        if done.returncode != 0:
            output.error(f"systemctl --user {' '.join(args)} failed: {done.stderr.strip()}")
            raise typer.Exit(1)
    output.print_line(
        f"{unit.name} enabled and started; `axo service status` shows it, "
        f"`journalctl --user -u {unit.name}` its log. To start it at boot without a "
        "login: `loginctl enable-linger $USER`."
    )


@service_app.command("uninstall")
def uninstall(ctx: typer.Context) -> None:
    """Stop and remove this project's systemd user unit."""
    from axo_tui.serve import systemd

    config = load_project(ctx)
    unit = _unit(ctx, config, None, None)
    if not unit.path.exists():
        output.print_line(f"{unit.name} is not installed ({unit.path} does not exist)")
        return
    if systemd.systemctl_available():
        systemd.systemctl("disable", "--now", unit.name)
    unit.path.unlink()
    if systemd.systemctl_available():
        systemd.systemctl("daemon-reload")
    output.print_line(f"removed {unit.path}")


@service_app.command("status")
def status(ctx: typer.Context) -> None:
    """Whether this project's unit is installed, enabled and running."""
    from axo_tui.serve import systemd

    config = load_project(ctx)
    unit = _unit(ctx, config, None, None)
    if not unit.path.exists():
        output.print_line(f"{unit.name}: not installed (`axo service install` installs it)")
        raise typer.Exit(3)  # systemctl's "not running"
    if not systemd.systemctl_available():
        output.print_line(f"{unit.name}: installed at {unit.path}; systemctl is not available")
        return
    active = systemd.systemctl("is-active", unit.name).stdout.strip() or "unknown"
    enabled = systemd.systemctl("is-enabled", unit.name).stdout.strip() or "unknown"
    output.print_line(f"{unit.name}: {active}, {enabled} ({unit.path})")
    if active != "active":
        raise typer.Exit(3)


def _unit(ctx: typer.Context, config: Config, host: str | None, port: int | None) -> Any:
    from axo_tui.serve import systemd

    server = config.server
    state = get_state(ctx)
    return systemd.render_unit(
        config.name or config.project_dir.resolve().name,
        Path(state.config_path()),
        host=host if host is not None else server.host,
        port=port if port is not None else server.port,
        data_dir=state.data_dir,
    )
