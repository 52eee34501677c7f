"""`sselab cv` — placeholder until its issue lands (define `register(app)`)."""
