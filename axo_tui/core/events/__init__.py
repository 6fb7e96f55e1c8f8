"""The event catalog and the in-process bus."""
