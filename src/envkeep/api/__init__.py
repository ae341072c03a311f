"""The team server's REST API: a thin transport over ``app/`` (DESIGN §5)."""
