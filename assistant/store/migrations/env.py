"""Alembic's entry point: runs on the connection ``assistant.store.db.upgrade`` hands over (it
holds the migration lock), or on ``sqlalchemy.url`` when alembic is driven some other way."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from assistant.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with create_engine(context.config.get_main_option("sqlalchemy.url") or "").begin() as own:
        _run(own)
