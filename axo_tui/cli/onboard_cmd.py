"""`axo onboard`: a wizard from a fresh machine to a checked, runnable project.

It detects what this machine can run (the embedded model, an Ollama server and its models,
API keys in the environment), asks for a name, a directory, a template and a provider
(offering only what was found), writes the project through the same scaffolding as
`axo init`, validates it, runs the doctor on it, and says what to do next.

Every question has a flag; `--yes` takes the default for any question a flag did not answer,
so the whole wizard also runs unattended. The detection and the config editing live in
`axo_tui.core.setup.onboarding` (headless); this module only asks and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.framework import AxoTyper
from axo_tui.core.base.redact import redact_url

if TYPE_CHECKING:
    from rich.console import Console

    from axo_tui.cli.scaffold import Template
    from axo_tui.core.config import Config
    from axo_tui.core.doctor import DoctorReport
    from axo_tui.core.setup.onboarding import Detection, ProviderChoice

DEFAULT_NAME = "my-agents"
_STYLES = {"ok": "bold green", "warn": "bold yellow", "fail": "bold red"}


class _Cancelled(Exception):
    """The user said no, or stdin ran out: stop before anything is written."""


def register(app: AxoTyper) -> None:
    app.command("onboard")(onboard)


def onboard(
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", "-y", help="Ask nothing: take the default for every question no flag answers."
        ),
    ] = False,
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", metavar="NAME", help="Project name.", show_default=False),
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            "-d",
            metavar="DIR",
            help="Where to create the project (default: ./NAME).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            "-t",
            metavar="TEMPLATE",
            help="hello, research or assistant (see `axo init --list-templates`).",
            show_default=False,
        ),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            "-p",
            metavar="PROVIDER",
            help="local, ollama, openai, anthropic, gemini, openrouter, mistral or scripted "
            "(default: local, the embedded model).",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            metavar="MODEL",
            help="Model for ollama or a hosted provider.",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="Endpoint for ollama (default: $OLLAMA_HOST, else http://127.0.0.1:11434) or "
            "an OpenAI-compatible server.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            "-f",
            help="Write into a non-empty directory (overwrites the template's files only).",
        ),
    ] = False,
    no_doctor: Annotated[
        bool,
        typer.Option("--no-doctor", help="Do not run the doctor on the new project."),
    ] = False,
) -> None:
    """Set up a new project step by step, with the models and keys this machine has.

    Detects the embedded model, an Ollama server ($OLLAMA_HOST) and its models, and API keys
    in the environment; asks for a name, a directory, a template and a provider; writes the
    project, validates it and runs the doctor on it.

    API keys are never written or shown: the config refers to them as
    [bold]${OPENAI_API_KEY}[/bold] and [bold].env.example[/bold] lists the ones it needs.
    Exits 0 once the project is written and valid (the doctor's verdict is advice), 1 if
    it could not be, 2 for a bad option.
    """
    wizard = _Wizard(yes=yes, force=force)
    try:
        wizard.run(
            name=name,
            directory=directory,
            template=template,
            provider=provider,
            model=model,
            base_url=base_url,
            doctor=not no_doctor,
        )
    except (_Cancelled, typer.Abort, EOFError):
        # typer.Abort is what a prompt raises on Ctrl-C or when stdin runs dry.
        output.error(
            "onboarding cancelled; nothing was written",
            hint="to run without questions: axo onboard --yes --name NAME "
            "[--template T] [--provider P] [--model M]",
        )
        raise typer.Exit(1) from None


class _Wizard:
    """The questions, in order. Each `ask_*` returns the flag's value when one was given."""

    def __init__(self, *, yes: bool, force: bool) -> None:
        self.yes = yes
        self.force = force
        self.out = output.console(soft_wrap=True)

    def run(
        self,
        *,
        name: str | None,
        directory: Path | None,
        template: str | None,
        provider: str | None,
        model: str | None,
        base_url: str | None,
        doctor: bool,
    ) -> None:
        from axo_tui.core.setup import onboarding

        # Bad option values are usage errors: report them before probing or asking anything.
        chosen_template = _template_or_exit(template) if template is not None else None
        if provider is not None:
            try:
                onboarding.check_provider_name(provider)
            except onboarding.OnboardingError as exc:
                output.error(exc.message, hint=exc.hint or None)
                raise typer.Exit(2) from None
        if name is not None and not name.strip():
            output.error("--name is empty", hint="give the project a name, e.g. --name my-agents")
            raise typer.Exit(2)
        if directory is not None:
            self.check_directory(directory, exit_code=1)

        self.out.print("[bold]axo onboard[/bold]: a new project in a few questions.\n")
        ollama_url = base_url if base_url and provider in (None, onboarding.OLLAMA) else None
        with self.out.status("Looking for models and keys..."):
            detection = onboarding.detect(ollama_url=ollama_url)
        self.show_detection(detection)

        project_name = name.strip() if name is not None else self.ask_name(directory)
        target = directory if directory is not None else self.ask_directory(project_name)
        chosen_template = chosen_template or self.ask_template()
        choice = self.ask_provider(detection, provider, model, base_url)
        self.confirm(project_name, target, chosen_template, choice)
        config = self.write(project_name, target, chosen_template, choice)
        if doctor:
            render_summary(self.out, self.doctor(config.path))
        else:
            for problem in config.warnings:
                output.render_problems([problem])
        self.next_steps(target, config, choice)

    def check_directory(self, target: Path, *, exit_code: int | None) -> bool:
        """Whether the project may be written to `target`; with `exit_code`, exit instead of
        returning False. (scaffold() enforces the same rule when writing; checking first
        spares the user a whole round of questions that would end in a refusal.)"""
        problem: tuple[str, str] | None = None
        if target.exists() and not target.is_dir():
            problem = (f"{target} exists and is not a directory", "choose another directory")
        elif target.is_dir() and not self.force and any(target.iterdir()):
            problem = (
                f"{target} already exists and is not empty",
                "choose another directory, or pass --force to write the template into it "
                "(files with the same names are overwritten, other files are kept)",
            )
        if problem is None:
            return True
        output.error(problem[0], hint=problem[1])
        if exit_code is not None:
            raise typer.Exit(exit_code)
        return False

    # ------------------------------------------------------------------ detection
    def show_detection(self, detection: Detection) -> None:
        from rich.text import Text

        embedded, ollama = detection.embedded, detection.ollama
        rows: list[tuple[str, str, str, str]] = [
            (
                "local",
                "ready" if embedded.installed else "missing",
                "ok" if embedded.installed else "warn",
                embedded.detail,
            )
        ]
        if ollama.reachable:
            count = len(ollama.models)
            listed = f": {', '.join(ollama.models)}" if ollama.models else " (`ollama pull` one)"
            rows.append(
                (
                    "ollama",
                    "running",
                    "ok",
                    f"{redact_url(ollama.base_url)}, {count} model(s){listed}",
                )
            )
        else:
            # A refused connection is the usual case and needs no detail; anything else (a
            # timeout, some other server on that port) does.
            why = ollama.error or ""
            detail = (
                f"nothing answers at {redact_url(ollama.base_url)}"
                if why.startswith("cannot connect")
                else f"{redact_url(ollama.base_url)}: {why}"
            )
            rows.append(("ollama", "not found", "warn", detail))
        if detection.api_keys:
            keys = ", ".join(
                f"{variable} ({name})" for name, variable in detection.api_keys.items()
            )
            rows.append(("API keys", "set", "ok", keys))
        else:
            rows.append(("API keys", "none", "warn", "no hosted provider's key in the environment"))
        self.out.print("Found on this machine:")
        for label, state, status, detail in rows:
            self.out.print(
                Text.assemble(
                    "  ", (label.ljust(9), "bold"), (state.ljust(11), _STYLES[status]), detail
                )
            )
        self.out.print()

    # ------------------------------------------------------------------ questions
    def ask_name(self, directory: Path | None) -> str:
        default = directory.resolve().name if directory is not None else DEFAULT_NAME
        if self.yes:
            return default
        while True:
            answer = str(typer.prompt("Project name", default=default)).strip()
            if answer:
                return answer

    def ask_directory(self, project_name: str) -> Path:
        default = Path(project_name)
        if self.yes:
            self.check_directory(default, exit_code=1)
            return default
        while True:
            answer = str(typer.prompt("Directory", default=str(default))).strip()
            target = Path(answer).expanduser()
            # Asked interactively, a taken directory is a reason to ask again, not to stop.
            if self.check_directory(target, exit_code=None):
                return target

    def ask_template(self) -> Template:
        from axo_tui.cli.scaffold import DEFAULT_TEMPLATE, available_templates

        templates = available_templates()
        if self.yes:
            return templates[DEFAULT_TEMPLATE]
        names = list(templates)
        picked = self.menu(
            "Template",
            [(n, templates[n].description) for n in names],
            default=names.index(DEFAULT_TEMPLATE) if DEFAULT_TEMPLATE in names else 0,
        )
        return templates[names[picked]]

    def ask_provider(
        self,
        detection: Detection,
        provider: str | None,
        model: str | None,
        base_url: str | None,
    ) -> ProviderChoice:
        """The provider and its model. Flags decide alone; interactively, a choice that
        cannot work (Ollama without models) is explained and the question asked again."""
        from axo_tui.core.setup import onboarding

        interactive = provider is None and not self.yes
        while True:
            name = provider or onboarding.default_provider(detection)
            if interactive:
                name = self.pick_provider(detection)
            wanted_model = model
            if wanted_model is None and not self.yes:
                wanted_model = self.ask_model(name, detection)
            try:
                return onboarding.make_choice(
                    name, detection, model=wanted_model, base_url=base_url
                )
            except onboarding.OnboardingError as exc:
                output.error(exc.message, hint=exc.hint or None)
                if not interactive:
                    raise typer.Exit(1) from None

    def pick_provider(self, detection: Detection) -> str:
        from axo_tui.core.setup import onboarding

        offered = onboarding.offers(detection)
        names = [offer.name for offer in offered]
        # Names not on the menu (a hosted provider whose key is not set yet) can be typed.
        extra = tuple(n for n in onboarding.PROVIDER_NAMES if n not in names)
        picked = self.menu(
            "Provider",
            [(offer.name, offer.label) for offer in offered],
            default=names.index(onboarding.default_provider(detection)),
            extra=extra,
        )
        return names[picked] if picked < len(names) else extra[picked - len(names)]

    def ask_model(self, provider: str, detection: Detection) -> str | None:
        from axo_tui.core.setup import onboarding

        if provider == onboarding.OLLAMA:
            models = detection.ollama.models
            if len(models) <= 1:
                return None  # the only one, or none: make_choice picks it or explains
            return models[self.menu("Ollama model", [(m, "") for m in models], default=0)]
        default = onboarding.default_model(provider, detection)
        if default is None:
            return None
        return str(typer.prompt(f"Model for {provider}", default=default)).strip() or default

    def menu(
        self,
        title: str,
        options: list[tuple[str, str]],
        *,
        default: int,
        extra: tuple[str, ...] = (),
    ) -> int:
        """A numbered list; the answer is a number or a name. Returns the index, counting
        `extra` names (accepted when typed, not listed) after the options."""
        from rich.text import Text

        self.out.print(f"{title}:")
        width = max(len(label) for label, _ in options)
        for index, (label, description) in enumerate(options, 1):
            line = Text.assemble(f"  {index}) ", (label.ljust(width), "bold"))
            if description:
                line.append(f"  {description}")
            else:
                line.rstrip()
            self.out.print(line)
        labels = [label for label, _ in options]
        while True:
            answer = str(typer.prompt("Choose", default=str(default + 1))).strip()
            if answer.isdigit() and 1 <= int(answer) <= len(options):
                return int(answer) - 1
            if answer in labels:
                return labels.index(answer)
            if answer in extra:
                return len(options) + extra.index(answer)
            output.error(f"`{answer}` is not one of the choices", hint=f"answer 1-{len(options)}")

    def confirm(self, name: str, target: Path, template: Template, choice: ProviderChoice) -> None:
        from rich.text import Text

        if not self.yes:
            self.out.print()
        self.out.print(
            Text.assemble(
                "Project ",
                (name, "bold"),
                " in ",
                (str(target), "bold"),
                ": template ",
                (template.name, "bold"),
                ", provider ",
                (choice.summary, "bold"),
            )
        )
        for note in choice.notes:
            output.warning(note)
        if not self.yes and not typer.confirm("Create it?", default=True):
            raise _Cancelled

    # ------------------------------------------------------------------ writing
    def write(self, name: str, target: Path, template: Template, choice: ProviderChoice) -> Config:
        """Render every file in memory, validate the config, then write; exit 1 on failure."""
        from axo_tui.cli.scaffold import ScaffoldError, render, scaffold
        from axo_tui.core.config import ConfigError
        from axo_tui.core.setup import onboarding

        files: dict[Path, str] = {}
        for relative, resource in template.files():
            files[Path(*relative.parts)] = render(
                resource.read_text(encoding="utf-8"), relative, name
            )
        config_file = Path("axo.yaml")
        try:
            files[config_file] = onboarding.configure_yaml(files[config_file], choice)
            files[Path(".env.example")] = onboarding.env_example(choice)
            # Before anything touches the disk: a config that would not load is never written.
            onboarding.validate_text(files[config_file], target / config_file, choice)
        except ConfigError as exc:
            output.render_problems(exc.problems)
            output.error("the generated config is invalid; nothing was written")
            raise typer.Exit(1) from None
        except onboarding.OnboardingError as exc:
            output.error(exc.message, hint=exc.hint or None)
            raise typer.Exit(1) from None
        try:
            # scaffold() owns the rules about existing directories (and --force); its files
            # are then replaced by the ones rendered for this name and this provider.
            scaffold(template, target, force=self.force)
            for path, text in files.items():
                (target / path).write_text(text, encoding="utf-8")
        except ScaffoldError as exc:
            output.error(exc.message, hint=exc.hint or None)
            raise typer.Exit(1) from None
        except OSError as exc:
            output.error(f"cannot write the project in {target}: {exc.strerror or exc}")
            raise typer.Exit(1) from None
        try:
            config = onboarding.validate_project(target / config_file, choice)
        except ConfigError as exc:
            output.render_problems(exc.problems)
            output.error(f"{target / config_file} was written but does not load")
            raise typer.Exit(1) from None
        except onboarding.OnboardingError as exc:
            output.error(exc.message, hint=exc.hint or None)
            raise typer.Exit(1) from None
        self.out.print(f"Wrote {len(files)} files in {target}: {', '.join(map(str, files))}")
        return config

    def doctor(self, config_path: Path) -> DoctorReport:
        from axo_tui.core.doctor import DoctorOptions, run_doctor

        with self.out.status("Checking the new project (axo doctor)..."):
            return run_doctor(DoctorOptions(config=config_path, search_dir=config_path.parent))

    def next_steps(self, target: Path, config: Config, choice: ProviderChoice) -> None:
        import os
        import shlex

        from rich.text import Text

        from axo_tui.core.setup import onboarding

        steps: list[tuple[str, str]] = []
        if target.resolve() != Path.cwd().resolve():
            steps.append((f"cd {shlex.quote(str(target))}", "go to the project"))
        if choice.key_variable and not os.environ.get(choice.key_variable):
            steps.append(
                ("cp .env.example .env", f"then put your key after {choice.key_variable}=")
            )
        if choice.name == onboarding.OLLAMA and any("ollama pull" in n for n in choice.notes):
            steps.append((f"ollama pull {shlex.quote(choice.model or '')}", "get the model"))
        steps.append(("axo dev", "open the workbench: run workflows, chat, watch the lattice"))
        if config.workflows:
            workflow = config.workflows[0].id
            steps.append(
                (f'axo workflow run {workflow} -i "Hello!"', "or run it once from the shell")
            )
        elif config.agents:
            steps.append((f"axo chat -a {config.agents[0].id}", "or chat from the shell"))
        self.out.print()
        self.out.print(Text("Next steps:", style="bold"))
        width = max(len(command) for command, _ in steps)
        for command, why in steps:
            self.out.print(
                Text.assemble("  ", (command.ljust(width), "cyan"), ("   # " + why, "dim"))
            )


def render_summary(out: Console, report: DoctorReport) -> None:
    """The doctor's verdict, and every row that is not ok with its fix."""
    from rich.text import Text

    from axo_tui.core.doctor import Status

    problems = [check for check in report.checks if check.status is not Status.OK]
    width = max((len(check.name) for check in problems), default=0)
    for check in problems:
        status = check.status.value
        out.print(
            Text.assemble(
                (f"{status:<4}", _STYLES[status]),
                "  ",
                (check.name.ljust(width), "bold"),
                "  ",
                check.message,
            )
        )
        if check.fix:
            out.print(Text.assemble(" " * (width + 6), ("fix", "cyan"), ": ", check.fix))
    counts = ", ".join(f"{report.count(s)} {s.value}" for s in Status)
    verdict = ("ready", "bold green") if report.ok else ("not ready", "bold red")
    out.print(
        Text.assemble(
            "axo doctor: ",
            verdict,
            f" ({counts}; {report.elapsed:.2f} s); run ",
            ("axo doctor", "cyan"),
            " in the project for every check",
        )
    )


def _template_or_exit(name: str) -> Template:
    from axo_tui.cli.scaffold import UnknownTemplateError, get_template

    try:
        return get_template(name)
    except UnknownTemplateError as exc:
        output.error(exc.message, hint=exc.hint or None)
        raise typer.Exit(2) from None
