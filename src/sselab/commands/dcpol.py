"""`sselab dcpol` — placeholder until its issue lands (define `register(app)`)."""
