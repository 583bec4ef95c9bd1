"""``shequn keys create|list|revoke`` and ``shequn audit``: API keys kept in the database (the
secret is printed once, at creation; only its sha256 is stored) and the audit log of writes."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Annotated

import typer

from shequn.jsonl import dumps

keys_app = typer.Typer(no_args_is_help=True, help="API keys: roles admin, operator, bot, reviewer; communities.")


def _services():  # type: ignore[no-untyped-def]
    from shequn.cli import _services

    return _services()


def _audit(action: str, key_id: str, communities: list[str] | None) -> None:
    """Key changes from the command line are audited as the machine's user."""
    who = f"cli:{getpass.getuser()}"
    _services().audit_log.record(
        key_id=who, key_name=who, role="admin", action=action, target=f"key {key_id}",
        community="|".join(communities) if communities else None, status=0, request_id=None,
    )  # fmt: skip


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option(min=1, help="Who or what uses the key (e.g. mombaby-bot).")],
    role: Annotated[str, typer.Option(help="admin, operator, bot or reviewer.")],
    community: Annotated[
        list[str] | None, typer.Option("--community", "-c", help="A community the key may use (repeat); default all.")
    ] = None,
    rate_limit: Annotated[
        str | None, typer.Option(help="This key's limit, e.g. 50/second (default SHEQUN_RATE_LIMIT).")
    ] = None,
) -> None:
    """Create a key; its secret is printed once and cannot be shown again."""
    from limits import parse_many

    from assistant.access import parse_communities, parse_role

    if not name.strip() or len(name) > 128:
        raise ValueError("--name must be 1-128 characters")
    if rate_limit:
        parse_many(rate_limit)
    scope = parse_communities(community or None)
    row, secret = _services().key_store.create(name.strip(), parse_role(role), scope, rate_limit)
    _audit("keys create", row.id, row.communities)
    typer.echo(dumps({**row.public(), "secret": secret}))
    typer.echo("the secret above is shown once: store it now (Authorization: Bearer SECRET)", err=True)


@keys_app.command("list")
def list_keys(all: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False) -> None:
    """Keys in the database (never their secrets); keys from SHEQUN_API_KEYS are not listed."""
    typer.echo(dumps([row.public() for row in _services().key_store.list(include_revoked=all)]))


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (from keys list).")]) -> None:
    """Revoke a key: servers refuse it within seconds."""
    row = _services().key_store.revoke(key_id)
    if row is None:
        raise ValueError(f"no active key with id {key_id[:40]!r}")
    _audit("keys revoke", row.id, row.communities)
    typer.echo(dumps(row.public()))


def audit(
    since: Annotated[dt.datetime | None, typer.Option(help="Only entries at or after this time (ISO 8601).")] = None,
    key: Annotated[str | None, typer.Option(help="Only this key id's entries.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100000, help="Most entries, newest first.")] = 100,
) -> None:
    """The audit log: every write through the API and every key change, newest first (JSON lines)."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    for row in _services().audit_log.rows(since, key, None, limit):
        typer.echo(dumps(row.public()))
