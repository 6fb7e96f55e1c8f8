"""Project templates: where they are, what they hold, and writing one out as a new project.

The templates live in `templates/` at the repository top level; `axo_tui/templates` points
there (a symlink), which is how setuptools ships them inside the wheel as package data and
how `importlib.resources` finds them in both an installed and an editable checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from axo_tui.core.base.errors import AxoError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# difflib, json and importlib.resources are imported where used: `axo --help` imports this
# module (through init_cmd) and should not pay for them.

DEFAULT_TEMPLATE = "hello"
PLACEHOLDER = "{{project_name}}"
# Files that are never part of a template even if they appear in its directory (a template
# run in place by a developer leaves state and caches behind).
_IGNORED_NAMES = frozenset({"__pycache__", ".axo", ".env", ".DS_Store"})


class ScaffoldError(AxoError):
    """A project could not be created; `hint` says what to do instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UnknownTemplateError(ScaffoldError):
    """No template has the requested name (a usage error rather than a failure)."""


@dataclass(frozen=True)
class Template:
    """One project template: a directory with at least an `axo.yaml`."""

    name: str
    root: Traversable

    @property
    def description(self) -> str:
        """The first prose line of the template's README (after the title)."""
        readme = self.root / "README.md"
        if not readme.is_file():
            return ""
        for line in readme.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text and not text.startswith("#"):
                return text
        return ""

    def files(self) -> list[tuple[PurePosixPath, Traversable]]:
        """Every file of the template as (relative path, resource), sorted by path."""
        found: list[tuple[PurePosixPath, Traversable]] = []

        def walk(node: Traversable, relative: PurePosixPath) -> None:
            for child in node.iterdir():
                if child.name in _IGNORED_NAMES:
                    continue
                if child.is_dir():
                    walk(child, relative / child.name)
                else:
                    found.append((relative / child.name, child))

        walk(self.root, PurePosixPath())
        return sorted(found, key=lambda item: str(item[0]))


def templates_root() -> Traversable:
    """The directory holding all templates."""
    from importlib.resources import files

    packaged = files("axo_tui") / "templates"
    if packaged.is_dir():
        return packaged
    # A checkout where the symlink did not survive (e.g. git with core.symlinks=false).
    return Path(__file__).resolve().parents[2] / "templates"


def available_templates() -> dict[str, Template]:
    """Template name -> template, sorted by name."""
    root = templates_root()
    found = {
        entry.name: Template(entry.name, entry)
        for entry in root.iterdir()
        if entry.is_dir() and (entry / "axo.yaml").is_file()
    }
    return dict(sorted(found.items()))


def get_template(name: str) -> Template:
    """The template called `name`.

    Raises:
        UnknownTemplateError: no such template; the hint suggests a close name and lists all.
    """
    import difflib

    templates = available_templates()
    if name in templates:
        return templates[name]
    close = difflib.get_close_matches(name, list(templates), n=1)
    listing = ", ".join(templates) or "(none installed)"
    hint = f"did you mean `{close[0]}`? " if close else ""
    raise UnknownTemplateError(
        f"unknown template `{name}`",
        f"{hint}available templates: {listing} (see `axo init --list-templates`)",
    )


def render(text: str, relative: PurePosixPath, project_name: str) -> str:
    """Substitute the project name into one template file."""
    import json

    if relative.suffix in (".yaml", ".yml"):
        # In YAML the placeholder sits in double quotes; a JSON string is a valid YAML
        # double-quoted scalar, so any directory name (quotes, colons, #) stays one string.
        text = text.replace(f'"{PLACEHOLDER}"', json.dumps(project_name))
    return text.replace(PLACEHOLDER, project_name)


@dataclass(frozen=True)
class ScaffoldResult:
    directory: Path
    project_name: str
    written: tuple[Path, ...]
    """Paths relative to `directory`, in template order."""
    overwritten: tuple[Path, ...]
    """The subset of `written` that replaced an existing file (only with `force`)."""


def scaffold(template: Template, directory: Path, *, force: bool = False) -> ScaffoldResult:
    """Write `template` into `directory`, naming the project after the directory.

    Refuses a non-empty directory unless `force`; with `force`, files the template provides
    are overwritten and every other file is left alone.

    Raises:
        ScaffoldError: the directory is a file, or is not empty and `force` is false.
    """
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(
            f"{directory} exists and is not a directory", "choose another project name"
        )
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise ScaffoldError(
            f"{directory} already exists and is not empty",
            "choose a new name, or pass --force to write the template into it "
            "(files with the same names are overwritten, other files are kept)",
        )
    project_name = directory.resolve().name or "axo-project"
    written: list[Path] = []
    overwritten: list[Path] = []
    for relative, resource in template.files():
        target = directory.joinpath(*relative.parts)
        if target.exists():
            if target.is_dir():
                raise ScaffoldError(
                    f"{target} is a directory, but the template has a file there",
                    "move it aside and run `axo init` again",
                )
            overwritten.append(Path(*relative.parts))
        target.parent.mkdir(parents=True, exist_ok=True)
        text = resource.read_text(encoding="utf-8")
        target.write_text(render(text, relative, project_name), encoding="utf-8")
        written.append(Path(*relative.parts))
    return ScaffoldResult(directory, project_name, tuple(written), tuple(overwritten))
