"""``shequn db upgrade|current``: the database's schema revision (Alembic). Every command
upgrades the database on first use anyway; these say where it stands and migrate on purpose
(e.g. before rolling out new workers)."""

from __future__ import annotations

from typing import Annotated

import typer

from shequn.jsonl import dumps

db_app = typer.Typer(no_args_is_help=True, help="The database (SHEQUN_DATABASE_URL): schema migrations.")


def _state(revision: str | None) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from assistant.settings import get_settings
    from assistant.store import db

    engine = db.connect(get_settings().database)
    try:
        if revision is not None:
            db.upgrade(engine, revision)
        now = db.current(engine)
    except (SQLAlchemyError, CommandError) as exc:
        from shequn.cli import _fail

        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        _fail(f"database {engine.url.render_as_string(hide_password=True)}: {reason}")
    finally:
        engine.dispose()
    head = ScriptDirectory.from_config(db.alembic_config()).get_current_head()
    database = engine.url.render_as_string(hide_password=True)
    typer.echo(dumps({"database": database, "revision": now, "head": head, "up_to_date": now == head}))


@db_app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision (default: the newest).")] = "head",
) -> None:
    """Migrate the schema (a database made before migrations is adopted, its rows kept)."""
    _state(revision)


@db_app.command("current")
def current() -> None:
    """The database's revision and the newest one shipped (changes nothing)."""
    _state(None)
