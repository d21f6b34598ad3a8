"""Rules: compile the config's rules once (conditions, templates), then match events purely."""
