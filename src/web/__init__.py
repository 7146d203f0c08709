"""The web service (see README)."""
