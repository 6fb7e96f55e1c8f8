"""A workflow agent that depends on an agent outside the workflow, as Axocoatl's own
`bug-triage` and `release-checklist` workflows do: the config loads with a warning, and the
run starts that agent without waiting for the outside one."""

from __future__ import annotations

from pathlib import Path

from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime
from tests.support.config_files import only, write

AXOCOATL_STYLE = """
agents:
  - id: intake
    provider: scripted
  - id: triager
    provider: scripted
    depends_on: [intake]
  - id: fixer
    provider: scripted
    depends_on: [triager]
workflows:
  - id: bug-triage
    agents: [triager, fixer]
    entry_point: triager
providers:
  scripted:
    replies:
      intake: ["never asked"]
      triager: ["severity: high"]
      fixer: ["patched"]
"""


async def test_the_outside_dependency_is_out_of_scope_in_the_run(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, AXOCOATL_STYLE), environ={})
    warning = only(list(config.warnings), "dependency-outside-workflow")
    assert (warning.line, warning.column) == (12, 14)
    assert "`triager` does not wait for it" in warning.message

    async with build_runtime(config, data_dir=tmp_path / ".axo") as runtime:
        result = await runtime.run_workflow("bug-triage", "the login page is blank")
        activations = runtime.journal.activations(result.run_id)

    assert result.status == "completed", result.errors
    assert result.output == "patched"
    assert [(a.agent_id, a.status) for a in activations] == [
        ("triager", "completed"),
        ("fixer", "completed"),
    ]
