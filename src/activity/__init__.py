"""The activity service (see README)."""
