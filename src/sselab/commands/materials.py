"""`sselab materials` — placeholder until its issue lands (define `register(app)`)."""
