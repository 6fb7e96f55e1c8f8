"""A coordinator pass on the scripted provider: `lead` splits "audit the log" into two
subtasks, one for each worker by its tools (`reader` has read_file, `counter` calculator),
and sums up. The CLI and the TUI auction view both run it."""

from __future__ import annotations

from pathlib import Path

PROJECT = """\
agents:
  - id: lead
    provider: team
    role: coordinator
    memory: {recall: {passive_inject: false}}
  - id: reader
    provider: team
    role: worker
    tools: [read_file]
    memory: {recall: {passive_inject: false}}
  - id: counter
    provider: team
    role: worker
    tools: [calculator]
    memory: {recall: {passive_inject: false}}
workflows:
  - id: audit
    agents: [lead, reader, counter]
    entry_point: lead
providers:
  team:
    kind: scripted
    replies:
      lead:
        - 'Plan: {"subtasks": [{"name": "read the log", "tools": ["read_file"]}, {"name": "count errors", "tools": ["calculator"]}]}'
        - "Two errors, both in the log."
      reader: ["the log says: error, error"]
      counter: ["2"]
"""


def write_audit_project(directory: Path) -> Path:
    """The project's axo.yaml in `directory` (made if missing); returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "axo.yaml"
    path.write_text(PROJECT, encoding="utf-8")
    return path
