"""`sselab report` — placeholder until its issue lands (define `register(app)`)."""
