"""`htn_methods_file:` of a workflow: the file must exist and its methods must be valid.

Its problems carry the methods file's own name and positions, so `axo validate` points at
the line to fix there, and a missing file points at the key in `axo.yaml`.
"""

from __future__ import annotations

from pathlib import Path

from axo_tui.core.config.checker import Checker
from axo_tui.core.config.fields import Section
from axo_tui.core.config.htn_methods import MAX_METHODS_BYTES, parse_methods
from axo_tui.core.config.problems import Problem


def check_methods_file(checker: Checker, workflow: Section) -> Path | None:
    """The workflow's methods file, resolved against the config's folder; its problems (or
    its absence) reported. None when the workflow names none."""
    text = workflow.opt_text("htn_methods_file")
    if text is None:
        return None
    node = workflow.value_node("htn_methods_file")
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = Path(checker.file).parent / path
    try:
        data = path.read_bytes()[: MAX_METHODS_BYTES + 1]
    except OSError as exc:
        checker.error(
            node,
            "file-not-found",
            f"htn_methods_file `{text}` of {workflow.what} cannot be read: "
            f"{exc.strerror or type(exc).__name__}",
            "write the methods file, or give its path relative to this config file",
        )
        return path
    if len(data) > MAX_METHODS_BYTES:
        checker.problems.append(Problem(str(path), 1, 1, "the HTN methods file is over 1 MiB"))
        return path
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        checker.problems.append(
            Problem(str(path), 1, 1, "the HTN methods file is not UTF-8", code="bad-encoding")
        )
        return path
    _, problems = parse_methods(source, str(path), extra_tools=checker.extra_tools)
    checker.problems.extend(problems)
    return path
