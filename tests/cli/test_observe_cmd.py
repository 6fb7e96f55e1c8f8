"""`axo trace`, `axo metrics` and `axo logs` on a project with no server: from the journal."""

from __future__ import annotations

import json
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.support.cli import Invoke
from tests.support.otlp_collector import running_collector

PROJECT = """\
agents:
  - id: researcher
    provider: scripted
    tools: [calculator]
  - id: writer
    provider: scripted
    depends_on: [researcher]
workflows:
  - id: research
    agents: [researcher, writer]
providers:
  scripted:
    kind: scripted
    replies:
      researcher:
        - tool_calls: [{name: calculator, arguments: {expression: "2+2"}}]
        - "four \\e]0;owned\\a"
      writer:
        - "the answer is four"
"""


def one_run(in_tmp: Path, invoke: Invoke) -> str:
    (in_tmp / "axo.yaml").write_text(PROJECT)
    ran = invoke("workflow", "run", "research", "-i", "what is 2+2", "--json")
    assert ran.exit_code == 0, ran.output
    return str(json.loads(ran.stdout)["run_id"])


def test_trace_draws_the_run_with_no_server(in_tmp: Path, invoke: Invoke) -> None:
    run_id = one_run(in_tmp, invoke)
    drawn = invoke("trace", run_id[:8])
    assert drawn.exit_code == 0, drawn.output
    lines = drawn.stdout.splitlines()
    assert lines[0].startswith("workflow research")
    assert lines[1].startswith("├─ researcher") and "tok" in lines[1]
    assert any("tool calculator" in line and "4" in line for line in lines)
    assert lines[-1].startswith("   └─ chat scripted")
    assert "\x1b" not in drawn.stdout and "\x07" not in drawn.stdout
    tree = json.loads(invoke("trace", run_id, "--json").stdout)
    assert [child["label"] for child in tree["children"]] == ["researcher", "writer"]
    missing = invoke("trace", "nope")
    assert missing.exit_code == 1 and "no run 'nope'" in missing.output


def test_metrics_are_rebuilt_from_the_journal(in_tmp: Path, invoke: Invoke) -> None:
    one_run(in_tmp, invoke)
    printed = invoke("metrics")
    assert printed.exit_code == 0, printed.output
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(printed.stdout)
        for s in family.samples
    }
    assert samples[("axo_tool_calls_total", (("outcome", "ok"), ("tool", "calculator")))] == 1
    assert samples[("axo_activations_total", (("agent", "writer"), ("outcome", "completed")))] == 1


def test_logs_filter_by_agent_and_speak_json(in_tmp: Path, invoke: Invoke) -> None:
    run_id = one_run(in_tmp, invoke)
    shown = invoke("--log-format", "json", "logs", "--agents", "writer", "-n", "100")
    assert shown.exit_code == 0, shown.output
    lines = [json.loads(line) for line in shown.stdout.splitlines()]
    assert {line["agent_id"] for line in lines} == {"writer", None}  # run lines frame them
    assert all(line["run_id"] == run_id and len(line["trace_id"]) == 32 for line in lines)
    assert lines[-1]["kind"] == "run.completed"
    text = invoke("logs", "--agents", "researcher", "-n", "3")
    assert text.exit_code == 0 and len(text.stdout.splitlines()) == 3
    wrong = invoke("--log-format", "xml", "logs")
    assert wrong.exit_code != 0 and "not a log format" in wrong.output


def test_a_run_exports_spans_when_an_endpoint_is_configured(in_tmp: Path, invoke: Invoke) -> None:
    with running_collector() as collector:
        (in_tmp / "axo.yaml").write_text(
            PROJECT + f"observability:\n  otlp_endpoint: {collector.url}\n"
        )
        ran = invoke("run", "writer", "-i", "hi")
        assert ran.exit_code == 0, ran.output
    span_names = [span.name for span in collector.spans()]
    assert sorted(span_names) == ["chat scripted", "invoke_agent writer", "run writer"]
