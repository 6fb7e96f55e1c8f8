"""`axo service install|status|uninstall` on a machine without systemd: the unit is written
where systemd would look, printed with what to do, and removed again."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.cli import Invoke
from tests.support.served_project import write_scripted


def test_install_status_uninstall_without_systemctl(invoke: Invoke, tmp_path: Path) -> None:
    project = write_scripted(tmp_path / "proj")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "PATH": str(Path(sys.executable).parent)}
    unit = tmp_path / "xdg" / "systemd" / "user" / "axo-served.service"

    status = invoke("--config", str(project), "service", "status", env=env)
    assert status.exit_code == 3 and "not installed" in status.stdout

    installed = invoke("--config", str(project), "service", "install", "--port", "9123", env=env)
    assert installed.exit_code == 0, installed.stderr
    text = unit.read_text(encoding="utf-8")
    assert f"--config {project.resolve()} serve --host 127.0.0.1 --port 9123" in text
    assert f"WorkingDirectory={project.resolve().parent}" in text
    assert "KillSignal=SIGTERM" in text and "WantedBy=default.target" in text
    assert "[Service]" in installed.stdout  # printed, since nothing could start it
    assert "systemctl --user is not available" in installed.stderr

    assert "installed at" in invoke("--config", str(project), "service", "status", env=env).stdout
    removed = invoke("--config", str(project), "service", "uninstall", env=env)
    assert removed.exit_code == 0 and not unit.exists()
