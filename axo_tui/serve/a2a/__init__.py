"""A2A over `axo serve`: every agent and workflow with `a2a: {expose: true}` as an A2A
agent (a2a-sdk server routes), each task one axo run (docs/a2a.md)."""
