"""`sselab arrhenius` — placeholder until its issue lands (define `register(app)`)."""
