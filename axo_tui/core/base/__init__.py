"""Vocabulary every layer shares: JSON, the local day, redaction, terminal text."""
