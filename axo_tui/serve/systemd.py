"""`axo service install|uninstall|status`: `axo serve` as a systemd user unit, so a
project's schedules, proactive triggers and consolidation run with no terminal open.

On a machine without systemd the unit is printed with what to do instead.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


def unit_dir(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def unit_name(project: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", project).strip("-") or "project"
    return f"axo-{slug}.service"


def axo_command() -> list[str]:
    """How systemd starts this very axo: the console script beside this interpreter (a
    venv's), else the interpreter running the entry point."""
    script = Path(sys.executable).with_name("axo")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from axo_tui.cli.main import run; run()"]


@dataclass(frozen=True)
class Unit:
    name: str
    path: Path
    text: str


def render_unit(
    project: str,
    config_path: Path,
    *,
    host: str,
    port: int,
    data_dir: Path | None = None,
    environ: dict[str, str] | None = None,
) -> Unit:
    config_path = config_path.resolve()
    argv = [*axo_command(), "--config", str(config_path)]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir.resolve())]
    argv += ["serve", "--host", host, "--port", str(port)]
    name = unit_name(project)
    text = f"""\
# Written by `axo service install`; `axo service uninstall` removes it.
[Unit]
Description=axo serve: {project}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
WorkingDirectory={config_path.parent}
ExecStart={shlex.join(argv)}
Environment=PYTHONUNBUFFERED=1
# SIGTERM stops it gracefully: runs in flight are left resumable.
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
"""
    return Unit(name, unit_dir(environ) / name, text)


def systemctl_available() -> bool:
    """Whether `systemctl --user` can talk to a user manager here."""
    if shutil.which("systemctl") is None:
        return False
    probe = subprocess.run(
        ["systemctl", "--user", "show-environment"], capture_output=True, text=True, check=False
    )
    return probe.returncode == 0


def systemctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemctl", "--user", *args], capture_output=True, text=True, check=False
    )
