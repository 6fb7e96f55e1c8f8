"""The lattice across machines: NATS JetStream carries the events, the work and the shared
state of nodes that each run a runtime of their own (docs/distributed.md)."""
