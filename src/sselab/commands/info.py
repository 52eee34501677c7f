"""`sselab info` — placeholder until its issue lands (define `register(app)`)."""
