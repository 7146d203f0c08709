"""The activity service: an aiohttp JSON API that stores activity events once per id.

`create_app(settings, store=None)` builds it; `wolfit activity` or `python -m src.activity`
runs it (docs/activity-api.md).
"""

from src.activity.app import create_app

__all__ = ["create_app"]
