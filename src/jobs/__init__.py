"""The jobs service (see README)."""
