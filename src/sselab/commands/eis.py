"""`sselab eis` — placeholder until its issue lands (define `register(app)`)."""
