"""The data layer: queries and changes of the web database, one module per table.

Functions take a SQLAlchemy `Connection` and run as one unit of work through
`Database.read(...)` or `Database.write(...)`, so an action and its outbox row share one
transaction. They use Core statements built once at import, answer frozen records
(`UserRecord`, `PostView`...), and raise `src.web.errors` exceptions, never HTTP ones.
"""
