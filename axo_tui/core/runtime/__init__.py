"""The Runtime and everything that drives runs: activations, turns, workflows,
the ambient lattice, budgets, supervision, resume and consolidation."""
