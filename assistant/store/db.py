"""The database behind ``SHEQUN_DATABASE_URL`` (default: SQLite in the data dir; PostgreSQL
with ``postgresql+psycopg://…``).

The schema is kept by Alembic migrations (``assistant/store/migrations``): the first use of a
database in a process upgrades it to the newest revision, one process at a time (a PostgreSQL
advisory lock, a file lock beside a SQLite file), so workers starting together migrate it once.
SQLite runs in WAL mode so the API and the CLI can write at the same time without "database is
locked"."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from filelock import FileLock
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, sessionmaker

log = logging.getLogger("shequn.db")
#: Alembic says which dialect it uses at every start; shequn logs the migrations that ran.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
MIGRATIONS = Path(__file__).with_name("migrations")
#: pg_advisory_xact_lock key of the migration lock (any constant shared by every process).
MIGRATION_LOCK = 0x53_48_45_51_55_4E  # "SHEQUN"


class Base(DeclarativeBase):
    pass


@cache
def engine_for(url: str) -> Engine:
    """One engine per URL and process (engines pool connections; building one per call leaks),
    its schema upgraded to the newest revision."""
    engine = connect(url)
    upgrade(engine)
    return engine


def connect(url: str) -> Engine:
    """An engine for ``url``; ``postgresql://`` means psycopg 3 (the driver shequn ships)."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            url = "postgresql+psycopg://" + url.removeprefix(scheme)
    sqlite = url.startswith("sqlite")
    engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
    if sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def sessions(url: str) -> sessionmaker:  # type: ignore[type-arg]
    return sessionmaker(engine_for(url), expire_on_commit=False)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration without an ini file: the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrates to ``revision`` under the migration lock (a no-op when already there). A database
    made by the old ``create_all`` has its tables but no version: the first revision keeps them."""
    with _file_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(alembic_config(connection), revision)
        after = MigrationContext.configure(connection).get_current_revision()
    if before is not None and after != before:  # a new database is not news; an upgraded one is
        log.info("database migrated", extra={"from_revision": before, "to_revision": after})


def current(engine: Engine) -> str | None:
    """The database's revision (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _file_lock(engine: Engine) -> FileLock | nullcontext[None]:
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return FileLock(f"{database}.migrate.lock")
    return nullcontext()
