"""Vocabulary every layer shares: ids, JSON, the local day, redaction, terminal text."""
