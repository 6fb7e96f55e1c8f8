"""`axo doctor`: is this machine and this project ready, and does nothing phone home?

Headless (no UI imports): the CLI renders the typed report this package returns.

    from axo_tui.core.doctor import DoctorOptions, run_doctor

    report = run_doctor(DoctorOptions(config=Path("axo.yaml"), deep=False))
    for check in report.checks:  # name, status (ok/warn/fail), message, fix
        ...
    report.ok  # False when any check failed

Modules: `environment` (Python, packages), `project` (config, data dir, port), `providers`
(reachability, models, API keys), `embedded` (the bundled models; --deep engine checks),
`mcp_servers` (they start), `a2a_peers` (remote A2A agents' cards), `otlp` (the OTLP
collector answers), `egress` (the audit hook that records every network
destination), `runner` (concurrency).
"""

from axo_tui.core.doctor.model import (
    CheckResult,
    DoctorOptions,
    DoctorReport,
    ExtraCheck,
    Status,
)
from axo_tui.core.doctor.runner import run_doctor, run_doctor_async

__all__ = [
    "CheckResult",
    "DoctorOptions",
    "DoctorReport",
    "ExtraCheck",
    "Status",
    "run_doctor",
    "run_doctor_async",
]
