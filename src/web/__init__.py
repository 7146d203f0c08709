"""Wolfit, the web app: a small Reddit-like site whose every action emits an activity event.

`create_app(settings)` builds the aiohttp application; `wolfit web` serves it, and
`wolfit migrate`, `wolfit create-admin` and `wolfit seed` manage its database.
"""

from src.web.app import create_app
from src.web.events.relay import RelayPolicy

__all__ = ["RelayPolicy", "create_app"]
