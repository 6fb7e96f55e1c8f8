"""Headless runtime: config, lattice, engine, agents, providers, budgets, memory, tools, store.

Nothing in this package may import a UI library (textual, typer, rich); tests enforce it.
"""
