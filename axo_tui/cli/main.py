"""Entry point for the `axo` console script."""

import sys


def run() -> None:
    # `axo --version` is asked by scripts and shells many times: answer it without importing
    # typer, rich or anything else.
    if sys.argv[1:] in (["--version"], ["-V"]):
        from axo_tui import __version__

        print(f"axo {__version__}")
        return
    from axo_tui import process_tuning

    process_tuning.tune_for_axo()  # here, never in the library: see process_tuning
    from axo_tui.cli.app import app

    app()
