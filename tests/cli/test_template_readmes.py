"""Each template's README (and the example made from one) tells the truth about its axo.yaml.

They once said the agents reply from a script, and quoted a `provider:` line that was not in
the file. Here every claim a README makes that can be checked is checked against the config
it ships with: the model the agents run on, the lines it quotes, the ids it names, the files
it lists, and every `axo` command it shows (which must parse, with ids that exist).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
from typer import _click as click  # the Click that Typer vendors and builds on
from typer.core import TyperGroup
from typer.main import get_command

from axo_tui.cli.app import app
from axo_tui.cli.scaffold import available_templates, render
from axo_tui.core.config import Config, load_config_text
from axo_tui.core.config.schema import AgentKind
from tests.support.cli import REPO


@dataclass(frozen=True)
class Project:
    name: str
    directory: Path
    readme: str
    config_text: str
    config: Config


def _template(name: str) -> Project:
    root = Path(str(available_templates()[name].root))

    def read(file: str) -> str:
        text = (root / file).read_text(encoding="utf-8")
        return render(text, PurePosixPath(file), "my-project")

    config_text = read("axo.yaml")
    config = load_config_text(config_text, root / "axo.yaml", environ={})
    return Project(f"templates/{name}", root, read("README.md"), config_text, config)


def _example(name: str) -> Project:
    root = REPO / "examples" / name
    config_text = (root / "axo.yaml").read_text(encoding="utf-8")
    config = load_config_text(config_text, root / "axo.yaml", environ={})
    readme = (root / "README.md").read_text(encoding="utf-8")
    return Project(f"examples/{name}", root, readme, config_text, config)


def _models(config: Config) -> set[str]:
    """The providers the agents run on (WebAssembly agents run on none)."""
    return {agent.provider for agent in config.agents if agent.kind is not AgentKind.WASM}


PROJECTS = [_template(name) for name in available_templates()] + [
    _example(path.name) for path in sorted(REPO.glob("examples/*")) if path.is_dir()
]


def test_every_template_and_example_is_checked() -> None:
    names = {project.name for project in PROJECTS}
    assert {"templates/hello", "templates/research", "templates/assistant"} <= names
    assert "examples/hello" in names


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_the_model_it_names_is_the_one_the_agents_use(project: Project) -> None:
    used = _models(project.config)
    claimed = re.findall(r"runs? on the embedded `(\w+)` model", project.readme)
    assert claimed or not used, "the README must say which model the agents run on"
    assert set(claimed) == used


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_the_lines_it_quotes_are_in_the_config(project: Project) -> None:
    quoted = re.findall(r"the line `([^`]+)`", project.readme)
    assert quoted, "the README should quote the line to change"
    for line in quoted:
        assert line in project.config_text, f"`{line}` is not in {project.name}/axo.yaml"


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_the_ids_it_names_exist(project: Project) -> None:
    config = project.config
    declared = {
        "workflow": {w.id for w in config.workflows},
        "agent": {a.id for a in config.agents},
        "skill": {s.id for s in config.skills},
    }
    for kind, ids in declared.items():
        for name in re.findall(rf"`([\w-]+)` {kind}\b", project.readme):
            assert name in ids, f"the README names {kind} `{name}`; {project.name} has {ids}"


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_the_files_it_lists_exist(project: Project) -> None:
    listed = re.findall(r"^- `([^`]+)`:", project.readme, re.M)
    assert "axo.yaml" in listed
    for file in listed:
        assert (project.directory / file).is_file(), f"{project.name} has no {file}"


_ID_PARAMETERS = {"workflow_id": "workflow", "agent_id": "agent", "agent": "agent"}
_ID_PARAMETERS["skill_id"] = "skill"


def _shown_commands(readme: str) -> list[list[str]]:
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", readme, re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                assert words[0] == "axo", f"not an axo command: {line}"
                commands.append(words[1:])
    return commands


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_the_commands_it_shows_parse_and_name_real_ids(project: Project) -> None:
    commands = _shown_commands(project.readme)
    assert len(commands) >= 2, "show more than `axo validate`: how to run the project"
    root = get_command(app)
    declared = {
        "workflow": {w.id for w in project.config.workflows},
        "agent": {a.id for a in project.config.agents},
        "skill": {s.id for s in project.config.skills},
    }
    for words in commands:
        command: click.Command = root
        parent = click.Context(root, info_name="axo")
        while isinstance(command, TyperGroup) and words and not words[0].startswith("-"):
            found = command.get_command(parent, words[0])
            assert found is not None, f"`axo {' '.join(words)}`: no command `{words[0]}`"
            command, words = found, words[1:]
            parent = click.Context(command, info_name=command.name, parent=parent)
        # Parsing checks the options and arguments exactly as the shell line would.
        context = command.make_context(command.name, list(words), parent=parent.parent)
        for parameter, kind in _ID_PARAMETERS.items():
            value = context.params.get(parameter)
            if value is not None:
                assert value in declared[kind], f"{kind} `{value}` is not in {project.name}"


def test_the_cli_docs_quote_lines_that_are_in_the_templates() -> None:
    docs = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    section = docs.split("## `axo init", 1)[1].split("\n## ", 1)[0]
    quoted = re.findall(r"the line `([^`]+)`", section)
    assert quoted
    templates = [p for p in PROJECTS if p.name.startswith("templates/")]
    for line in quoted:
        assert any(line in p.config_text for p in templates), f"`{line}` is in no template"
    used = {provider for p in templates for provider in _models(p.config)}
    assert re.findall(r"templates use the embedded `(\w+)` model", section) == sorted(used)
