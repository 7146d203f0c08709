"""Alerts: the store (`store.py`), the rules and their evaluator (`engine.py`), and where
raised and resolved alerts go (`notify.py`: `var/alerts.log` and the webhook)."""
