"""axo: a terminal-first workbench for persistent, self-coordinating LLM agents."""

__version__ = "0.1.0"
