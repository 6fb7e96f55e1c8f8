"""Agent memory that lasts: the four tiers of DESIGN.md §2.

1. sessions: one transcript per chat session or run, in the journal (`journal.py`);
2. the daily activity log, JSONL per agent and day (`activity_log`);
3. core memory blocks the agent edits with tools, always in its prompt (`core_blocks`);
4. semantic recall in chromadb, passive and through `recall_search` (`semantic`).

`service.AgentMemory` puts them behind the one object the turn loop talks to. Importing this
package is cheap: chromadb and the embedder load on first use only.
"""
