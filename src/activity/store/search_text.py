"""What `q` matches: one folded form of text, the same on both stores and both SQLite paths.

Each store keeps `search_text(details)` beside an event and looks for `search_text(q)` in it
as a plain substring, so a search answers the same events on SQLite (whether the trigram
index or a walk of the newest events answers it) and on MongoDB. The form is case- and
accent-insensitive: compatibility-decomposed (NFKD), case-folded (`Straße` and `STRASSE` both
give `strasse`), stripped of combining marks (`İstanbul` gives `istanbul`, `épée` gives
`epee`) and recomposed (NFC). A NUL becomes U+FFFD, because SQLite's full-text index stops
reading a text at a NUL; otherwise the search is literal, control characters included.
"""

from __future__ import annotations

import unicodedata

__all__ = ["search_text"]


def search_text(text: str) -> str:
    """The form of `text` that searches compare: folded, without accents, without NULs."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = "".join(char for char in folded if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", bare).replace("\x00", "\ufffd")
