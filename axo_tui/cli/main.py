"""Entry point for the `axo` console script."""


def run() -> None:
    from axo_tui.cli.app import app

    app()
