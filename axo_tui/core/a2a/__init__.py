"""Remote A2A agents: fetching and checking a peer's agent card, and sending it messages
(the a2a-sdk client). The runtime's `remote_agent` backend turns this into activations;
nothing here knows the runtime. Importing this package loads the SDK: import it lazily."""
