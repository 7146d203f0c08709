"""What two or more services need: settings, the event schema, logging, the uvloop runner.

`web`, `activity` and `jobs` import from here, never from one another's internals.
"""

from src.common.events import ActivityEvent, EventInvalid, parse_event
from src.common.logging import configure_logging, request_id_var
from src.common.settings import Settings, SettingsError, load_settings, load_settings_or_exit

__all__ = [
    "ActivityEvent",
    "EventInvalid",
    "Settings",
    "SettingsError",
    "configure_logging",
    "load_settings",
    "load_settings_or_exit",
    "parse_event",
    "request_id_var",
]
