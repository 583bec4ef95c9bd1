"""HTTP API: thin FastAPI routes over ``assistant``; nothing in ``assistant`` imports this."""
