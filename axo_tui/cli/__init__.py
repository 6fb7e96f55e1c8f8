"""Typer commands. Heavy imports happen inside the commands so `axo --help` stays fast."""
