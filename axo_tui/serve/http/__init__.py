"""The HTTP API over the runtime's public API (`axo serve`, `axo dev --serve`): docs/http.md."""
