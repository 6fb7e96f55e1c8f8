"""The Textual workbench (`axo dev`, `axo chat`)."""
