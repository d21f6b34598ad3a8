"""State that outlives the process: the state directory, its atomic store, the outbox."""
