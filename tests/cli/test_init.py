"""`axo init`: every template scaffolds a valid project; no silent overwrites; clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from axo_tui.cli.scaffold import available_templates
from tests.support.cli import Invoke, RunAxo

TEMPLATES = ("assistant", "hello", "research", "wasm")


def test_the_templates_are_installed() -> None:
    templates = available_templates()
    assert tuple(templates) == TEMPLATES
    for template in templates.values():
        assert template.description, f"{template.name}/README.md needs a one-line description"
        names = {str(path) for path, _ in template.files()}
        assert {"axo.yaml", "README.md", ".env.example"} <= names


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_scaffolds_a_valid_project(
    template: str, invoke: Invoke, in_tmp: Path
) -> None:
    result = invoke("init", "my-agents", "--template", template)
    assert result.exit_code == 0, result.output
    project = in_tmp / "my-agents"
    assert {p.name for p in project.iterdir()} >= {"axo.yaml", "README.md", ".env.example"}
    assert "{{project_name}}" not in "".join(
        p.read_text(encoding="utf-8") for p in project.rglob("*") if p.is_file()
    )
    assert (project / "README.md").read_text(encoding="utf-8").startswith("# my-agents\n")
    assert "Next steps:" in result.stdout
    assert "cd my-agents" in result.stdout

    report = json.loads(invoke("validate", str(project), "--json").stdout)
    assert report["valid"] is True, report["problems"]
    assert report["problems"] == []


def test_default_template_is_hello(invoke: Invoke, in_tmp: Path) -> None:
    assert invoke("init", "demo").exit_code == 0
    text = (in_tmp / "demo" / "axo.yaml").read_text(encoding="utf-8")
    assert 'name: "demo"' in text
    assert "id: greeter" in text


def test_project_name_with_yaml_special_characters(invoke: Invoke, in_tmp: Path) -> None:
    from axo_tui.core.config import load_config

    name = 'my "odd": notes #1'
    assert invoke("init", name, "-t", "assistant").exit_code == 0
    config = load_config(in_tmp / name / "axo.yaml")
    assert config.name == name
    persona = config.agents[0].memory.core_blocks[0]
    assert name in persona.value


def test_refuses_to_overwrite_a_non_empty_directory(invoke: Invoke, in_tmp: Path) -> None:
    project = in_tmp / "taken"
    project.mkdir()
    (project / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = invoke("init", "taken")
    assert result.exit_code == 1
    assert "taken already exists and is not empty" in result.stderr
    assert "--force" in result.stderr
    assert sorted(p.name for p in project.iterdir()) == ["notes.txt"]


def test_force_writes_the_template_and_keeps_other_files(invoke: Invoke, in_tmp: Path) -> None:
    project = in_tmp / "taken"
    project.mkdir()
    (project / "notes.txt").write_text("mine\n", encoding="utf-8")
    (project / "axo.yaml").write_text("agents: []\n", encoding="utf-8")
    result = invoke("init", "taken", "--force")
    assert result.exit_code == 0, result.output
    assert (project / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert "id: greeter" in (project / "axo.yaml").read_text(encoding="utf-8")
    assert "axo.yaml  (overwritten)" in result.stdout


def test_an_empty_existing_directory_is_fine(invoke: Invoke, in_tmp: Path) -> None:
    (in_tmp / "empty").mkdir()
    assert invoke("init", "empty").exit_code == 0
    assert (in_tmp / "empty" / "axo.yaml").is_file()


def test_init_in_the_current_directory(invoke: Invoke, in_tmp: Path) -> None:
    result = invoke("init", ".")
    assert result.exit_code == 0, result.output
    assert f'name: "{in_tmp.name}"' in (in_tmp / "axo.yaml").read_text(encoding="utf-8")
    assert "in the current directory" in result.stdout
    assert "cd " not in result.stdout


def test_a_file_in_the_way(invoke: Invoke, in_tmp: Path) -> None:
    (in_tmp / "afile").write_text("x", encoding="utf-8")
    result = invoke("init", "afile", "--force")
    assert result.exit_code == 1
    assert "exists and is not a directory" in result.stderr


def test_unknown_template_suggests_and_lists(invoke: Invoke, in_tmp: Path) -> None:
    result = invoke("init", "x", "--template", "reserch")
    assert result.exit_code == 2
    assert "error: unknown template `reserch`" in result.stderr
    assert "did you mean `research`?" in result.stderr
    assert "assistant, hello, research, wasm" in result.stderr
    assert not (in_tmp / "x").exists()


def test_list_templates(invoke: Invoke) -> None:
    result = invoke("init", "--list-templates")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(TEMPLATES)
    assert "hello (default)" in result.stdout


def test_missing_name(invoke: Invoke, in_tmp: Path) -> None:
    result = invoke("init")
    assert result.exit_code == 2
    assert "error: missing project NAME" in result.stderr
    assert list(in_tmp.iterdir()) == []


LLM_TEMPLATES = tuple(t for t in TEMPLATES if t != "wasm")  # wasm agents run on no model


@pytest.mark.parametrize("template", LLM_TEMPLATES)
def test_templates_run_on_the_embedded_model_and_switch_in_one_line(
    template: str, invoke: Invoke, in_tmp: Path
) -> None:
    from axo_tui.core.config import load_config

    assert invoke("init", "p", "-t", template).exit_code == 0
    config_path = in_tmp / "p" / "axo.yaml"
    text = config_path.read_text(encoding="utf-8")
    marked = [line for line in text.splitlines() if "the one line to change" in line]
    assert len(marked) == 1
    assert {agent.provider for agent in load_config(config_path).agents} == {"local"}
    config_path.write_text(
        text.replace(marked[0], marked[0].replace("local", "scripted", 1)), encoding="utf-8"
    )
    config = load_config(config_path)
    assert {agent.provider for agent in config.agents} == {"scripted"}


def test_init_in_a_real_process(run_axo: RunAxo, tmp_path: Path) -> None:
    created = run_axo("init", "proj", "-t", "research", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "\x1b[" not in created.stdout
    checked = run_axo("validate", cwd=tmp_path / "proj")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "axo.yaml: ok (5 agents, 1 workflow, 1 skill, 2 providers)"
