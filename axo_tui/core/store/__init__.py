"""Durable state: the journal, checkpoints, private files, retention."""
