"""Benchmarks: `python -m tests.bench` runs them all; each prints a table."""
