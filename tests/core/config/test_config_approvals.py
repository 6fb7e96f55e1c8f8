"""`approvals:` at the top level and per agent: read, and every mistake named with its place."""

from __future__ import annotations

from collections.abc import Callable

from axo_tui.core.config import Config, Problem
from axo_tui.core.config.schema import ApprovalMode, ApprovalSettings
from axo_tui.core.tools.approval_policy import approval_timeout, needs_approval

Problems = Callable[..., list[Problem]]

CONFIG = """\
approvals:
  timeout_secs: 120
  tools: {shell: always, "read_*": never}
agents:
  - id: ops
    tools: [shell, read_file, write_file, calculator]
    approvals: {timeout_secs: 30, tools: {shell: never, calculator: always}}
  - id: plain
    tools: [shell, read_file, write_file]
"""


def test_approvals_load_at_the_top_level_and_per_agent(load: Callable[..., Config]) -> None:
    config = load(CONFIG)
    assert config.approvals == ApprovalSettings(
        120, (("shell", ApprovalMode.ALWAYS), ("read_*", ApprovalMode.NEVER))
    )
    ops, plain = config.agents
    assert ops.approvals.tools == (
        ("shell", ApprovalMode.NEVER),
        ("calculator", ApprovalMode.ALWAYS),
    )
    project = config.approvals
    asks = {
        t: needs_approval(t, t != "read_file" and t != "calculator", ops, project)
        for t in ("shell", "read_file", "write_file", "calculator")
    }
    assert asks == {"shell": False, "read_file": False, "write_file": True, "calculator": True}
    assert needs_approval("shell", True, plain, project)
    assert not needs_approval("read_file", False, plain, project)
    assert (approval_timeout(ops, project), approval_timeout(plain, project)) == (30, 120)


def test_acting_tools_ask_by_default(load: Callable[..., Config]) -> None:
    config = load("agents:\n  - id: a\n    tools: [shell, edit_file, write_file, read_file]\n")
    (a,) = config.agents
    assert config.warnings == ()
    assert approval_timeout(a, config.approvals) == 300


def test_mistakes_are_named_with_file_line_and_column(problems: Problems) -> None:
    found = problems(
        "approvals:\n"
        "  timeout: 5\n"
        "  tools: {shel: always, shell: sometimes}\n"
        "agents:\n"
        "  - id: a\n"
        "    approvals: {timeout_secs: 0, tools: [shell]}\n"
    )
    by_code = {(p.code, p.line, p.column): p for p in found}
    unknown_key = by_code[("unknown-key", 2, 3)]
    assert "did you mean 'timeout_secs'" in unknown_key.hint
    tool = by_code[("unknown-tool", 3, 11)]
    assert tool.message == "`tools` in `approvals` names `shel`, which is not a tool"
    assert "did you mean 'shell'" in tool.hint
    mode = by_code[("invalid-choice", 3, 32)]
    assert "must be `always` or `never`, found `sometimes`" in mode.message
    assert ("out-of-range", 6, 31) in by_code
    wrong = by_code[("wrong-type", 6, 41)]
    assert "`tools` in `approvals` of agent `a` must be a mapping" in wrong.message
    assert all(p.file.endswith("axo.yaml") for p in found)
