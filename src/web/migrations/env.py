"""Alembic environment of the web database.

Migrations run through `src.web.schema` (`wolfit migrate`), which opens the async engine and
hands a connection in `config.attributes["connection"]`; there is no alembic.ini to keep in
step with the settings.
"""

from __future__ import annotations

from alembic import context

from src.web.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `wolfit migrate` (src.web.schema), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
