"""`sselab cycle` — placeholder until its issue lands (define `register(app)`)."""
