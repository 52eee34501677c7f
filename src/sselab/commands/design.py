"""`sselab design` — placeholder until its issue lands (define `register(app)`)."""
