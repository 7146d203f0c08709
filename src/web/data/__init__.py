"""The data layer: queries and changes of the web database, one module per table.

Functions take an `AsyncSession` that the caller opened (`Database.read()` or `.write()`), so
an action and its outbox row share one transaction. They raise `src.web.errors` exceptions,
never HTTP ones.
"""
