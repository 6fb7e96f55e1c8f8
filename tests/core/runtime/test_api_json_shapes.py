"""The `--json` shapes of the runtime's results, to the byte: keys in the documented order,
tuples as lists. The CLI, the TUI and the HTTP API all print these."""

from __future__ import annotations

import json

from axo_tui.core.runtime.api import (
    AgentInfo,
    AgentStatusReport,
    AgentStatusRow,
    BlockEdit,
    ForgetReport,
    RecallCounts,
    SessionInfo,
    SkillInfo,
    WorkflowInfo,
)


def printed(result: AgentInfo | SkillInfo | WorkflowInfo | SessionInfo | RecallCounts) -> str:
    return json.dumps(result.to_dict())


def test_config_listings_print_their_keys_in_the_documented_order() -> None:
    scout = AgentInfo("scout", "Scout", "autonomous", "ollama", "m1", ("lead",), (), 10, None)
    assert printed(scout) == (
        '{"id": "scout", "name": "Scout", "role": "autonomous", "provider": "ollama", '
        '"model": "m1", "depends_on": ["lead"], "tools": [], "per_call": 10, '
        '"per_execution": null}'
    )
    skill = SkillInfo("review", "Review", "", ("scout",), ("A",), ())
    assert printed(skill) == (
        '{"id": "review", "name": "Review", "description": "", "agents": ["scout"], '
        '"emits": ["A"], "reacts_to": []}'
    )
    flow = WorkflowInfo("w", "", "d", ("lead", "scout"), None)
    assert printed(flow) == (
        '{"id": "w", "name": "", "description": "d", "agents": ["lead", "scout"], '
        '"entry_point": null}'
    )


def test_memory_and_status_results_print_their_keys_in_the_documented_order() -> None:
    assert printed(SessionInfo("chat:a:main", 4, 12.5)) == (
        '{"id": "chat:a:main", "messages": 4, "last": 12.5}'
    )
    assert printed(RecallCounts(3, 1, 0)) == '{"own": 3, "shared": 1, "queued": 0}'
    edit = BlockEdit("a", "human", 12, 2000, changed=False)
    assert json.dumps(edit.to_dict()) == (
        '{"agent": "a", "block": "human", "chars": 12, "limit": 2000, "changed": false}'
    )
    forgot = ForgetReport("a", recall=2, activity_days=1, summaries=0, core_reset=True)
    assert json.dumps(forgot.to_dict()) == (
        '{"agent": "a", "recall": 2, "activity_days": 1, "summaries": 0, "core_reset": true}'
    )
    row = AgentStatusRow("a", "idle", 0, None, 5, 1, "boom", 99.0, 120, 4000)
    assert json.dumps(AgentStatusReport((row,)).to_list()) == (
        '[{"id": "a", "state": "idle", "consecutive_failures": 0, "degraded_until": null, '
        '"activations": 5, "failures": 1, "last_error": "boom", "last_activated": 99.0, '
        '"tokens_today": 120, "per_execution": 4000}]'
    )
