"""The database behind ``SHEQUN_DATABASE_URL`` (default: SQLite in the data dir).

Tables are created on first use; SQLite runs in WAL mode so the API and the CLI can write at
the same time without "database is locked"."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, sessionmaker


class Base(DeclarativeBase):
    pass


@cache
def engine_for(url: str) -> Engine:
    """One engine per URL and process (engines pool connections; building one per call leaks)."""
    sqlite = url.startswith("sqlite")
    engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
    if sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    Base.metadata.create_all(engine)
    return engine


def sessions(url: str) -> sessionmaker:  # type: ignore[type-arg]
    return sessionmaker(engine_for(url), expire_on_commit=False)
