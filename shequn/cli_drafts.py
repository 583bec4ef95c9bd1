"""Scheduled posts on the command line: ``shequn calendar | draft | drafts … | plan … | worker``.

JSON on stdout. Exit codes: 0 done; 1 a batch had bad lines, or ``drafts check`` found the post
fails the gate; 2 bad input (unknown community, bad date, no such draft, a status that does not
allow the change)."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from shequn.jsonl import dumps, row_handler, stream

drafts_app = typer.Typer(no_args_is_help=True, help="The review queue: check, list, show, approve, reject, edit.")
plan_app = typer.Typer(no_args_is_help=True, help="A community's posting plan (weekly themes, campaigns, rules).")

CommunityOpt = Annotated[str, typer.Option("--community", "-c", help="Community id.")]
By = Annotated[str, typer.Option("--by", help="Who does this (recorded in the audit trail).")]
#: Longest calendar one call may ask for.
MAX_CALENDAR_DAYS = 400


def _fail(message: str, code: int = 2) -> None:
    """The CLI's one error shape (JSON on stdout, one line on stderr) and exit code."""
    from shequn.cli import _fail as fail

    fail(message, code)


def _drafter() -> Any:
    from shequn.cli import _services

    return _services().drafter


def _community(drafter: Any, value: str) -> str:
    from assistant.communities import InvalidCommunity, community_id

    try:
        community_id(value)
    except InvalidCommunity as exc:
        _fail(str(exc))
    if value not in drafter.communities():
        _fail(f"unknown community {value!r}; known: {drafter.communities()}")
    return value


def _date(value: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"{what} must be YYYY-MM-DD, got {value[:20]!r}")
        raise


def _echo(model: Any) -> None:
    typer.echo(model.model_dump_json() if hasattr(model, "model_dump_json") else dumps(model))


def calendar(
    community: CommunityOpt,
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
) -> None:
    """Posting slots and holidays between two dates: {community, slots, holidays}."""
    drafter = _drafter()
    first, last = _date(start, "--from"), _date(end, "--to")
    if not 0 <= (last - first).days <= MAX_CALENDAR_DAYS:
        _fail(f"--to must be on or after --from and at most {MAX_CALENDAR_DAYS} days later")
    typer.echo(dumps(drafter.calendar(_community(drafter, community), first, last)))


def draft_result(drafter: Any, row: dict[str, Any], store: bool) -> dict[str, Any]:
    """The ``draft`` key a batch line gets (design.md §4 line in, plus this)."""
    from assistant.drafting.models import Brief

    brief = Brief.model_validate(row)
    if store:
        made = drafter.draft(brief, actor="cli")
        return {k: made.model_dump(mode="json")[k] for k in ("id", "text", "passed", "checks", "scripts", "status",
                                                               "engine", "fallback_reason")}  # fmt: skip
    composed, gate = drafter.compose(brief)
    return {"id": None, "text": composed.text, "passed": gate.passed, "checks": gate.model_dump()["checks"],
            "scripts": composed.scripts, "status": "pending_review" if gate.passed else "failed_checks",
            "engine": composed.engine, "fallback_reason": composed.fallback_reason}  # fmt: skip


def _brief_row(row: dict[str, Any], known: list[str]) -> None:
    from pydantic import ValidationError

    from assistant.drafting.models import Brief

    if row.get("community") not in known:
        raise ValueError(f"unknown community {str(row.get('community'))[:40]!r}; known: {known}")
    try:
        Brief.model_validate(row)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"bad brief: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc


def draft(
    community: Annotated[str | None, typer.Option("--community", "-c", help="Community id.")] = None,
    kind: Annotated[str | None, typer.Option(help="Script kind, e.g. activity_preview, promotion.")] = None,
    date: Annotated[str | None, typer.Option(help="Post date, YYYY-MM-DD.")] = None,
    brief: Annotated[str, typer.Option(help="What the post must say (facts, offers, times).")] = "",
    time_: Annotated[str | None, typer.Option("--time", help="HH:MM (default: the plan's time for the kind).")] = None,
    theme: Annotated[str | None, typer.Option(help="Theme (default: the kind's).")] = None,
    must_include: Annotated[list[str] | None, typer.Option("--must-include", help="Required phrase.")] = None,
    must_avoid: Annotated[list[str] | None, typer.Option("--must-avoid", help="Forbidden phrase.")] = None,
    input: Annotated[str | None, typer.Option("--input", "-i", help="JSONL briefs (design.md §4); - stdin.")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Where batch results go; - for stdout.")] = "-",
    dry_run: Annotated[bool, typer.Option(help="Compose and check only; nothing enters the review queue.")] = False,
) -> None:
    """Draft a post from the script library and check it (adds "draft" per batch line)."""
    drafter = _drafter()
    known = drafter.communities()
    if input is None:
        if not (community and kind and date):
            _fail("give --community, --kind and --date (or --input FILE for a batch)")
        row = {"community": community, "kind": kind, "date": date, "time": time_, "theme": theme, "brief": brief,
               "must_include": must_include or [], "must_avoid": must_avoid or []}  # fmt: skip
        try:
            _brief_row(row, known)
            typer.echo(dumps(draft_result(drafter, row, not dry_run)))
        except (ValueError, LookupError) as exc:
            _fail(str(exc))
        return

    failed = 0

    def handle(rows: list[dict[str, Any]]) -> list[str]:
        nonlocal failed
        out = []
        for row in rows:
            try:
                out.append(dumps({**row, "draft": draft_result(drafter, row, not dry_run)}))
            except ValueError as exc:  # a slot approved earlier, no script of that kind
                failed += 1
                out.append(dumps({**row, "error": str(exc)}))
        return out

    counts = stream(input, output, row_handler(lambda r: _brief_row(r, known), handle), batch=20)
    counts["ok"], counts["errors"] = counts["ok"] - failed, counts["errors"] + failed
    typer.echo(dumps(counts), err=True)
    if counts["errors"]:
        raise typer.Exit(1)


@drafts_app.command("check")
def drafts_check(
    text: Annotated[str | None, typer.Argument(help="The post to check.")] = None,
    community: Annotated[str | None, typer.Option("--community", "-c", help="Community id.")] = None,
    must_include: Annotated[list[str] | None, typer.Option("--must-include", help="Required phrase.")] = None,
    must_avoid: Annotated[list[str] | None, typer.Option("--must-avoid", help="Forbidden phrase.")] = None,
    input: Annotated[str | None, typer.Option("--input", "-i", help="JSONL of {text, community}; - stdin.")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Where batch results go; - for stdout.")] = "-",
) -> None:
    """The compliance gate for a hand-written post (adds "check" per batch line); exit 1 if it fails."""
    drafter = _drafter()
    known = drafter.communities()

    def run(row: dict[str, Any]) -> dict[str, Any]:
        gate = drafter.check(row["text"], row["community"], row.get("must_include") or [],
                             row.get("must_avoid") or [])  # fmt: skip
        return {"passed": gate.passed, "checks": gate.model_dump()["checks"]}

    def validate(row: dict[str, Any]) -> None:
        row.setdefault("community", community)
        if not isinstance(row.get("text"), str) or not row["text"].strip():
            raise ValueError("missing 'text' (non-empty string)")
        if row.get("community") not in known:
            raise ValueError(f"unknown community {str(row.get('community'))[:40]!r}; known: {known}")
        for key in ("must_include", "must_avoid"):
            if not isinstance(row.get(key) or [], list):
                raise ValueError(f"'{key}' must be a list of strings")

    if input is None:
        row = {"text": text, "community": community, "must_include": must_include, "must_avoid": must_avoid}
        try:
            validate(row)
        except ValueError as exc:
            _fail(str(exc))
        result = run(row)
        typer.echo(dumps(result))
        raise typer.Exit(0 if result["passed"] else 1)
    counts = stream(input, output, row_handler(validate, lambda rows: [dumps({**r, "check": run(r)}) for r in rows]),
                    batch=100)  # fmt: skip
    typer.echo(dumps(counts), err=True)
    if counts["errors"]:
        raise typer.Exit(1)


@drafts_app.command("list")
def drafts_list(
    community: Annotated[str | None, typer.Option("--community", "-c", help="Community id.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status, e.g. pending_review.")] = None,
) -> None:
    """Drafts in slot order (JSON list)."""
    drafter = _drafter()
    if community is not None:
        _community(drafter, community)
    typer.echo(dumps([d.model_dump(mode="json") for d in drafter.drafts(community, status)]))


def _act(action: Any) -> None:
    from assistant.drafting.store import Conflict

    try:
        _echo(action())
    except (LookupError, Conflict) as exc:
        _fail(str(exc).strip("'\""))


@drafts_app.command("show")
def drafts_show(draft_id: Annotated[int, typer.Argument(help="Draft id.")]) -> None:
    """A draft with its audit trail."""
    drafter = _drafter()
    _act(lambda: {**drafter.get(draft_id).model_dump(mode="json"),
                  "audit": [a.model_dump(mode="json") for a in drafter.audit(draft_id)]})  # fmt: skip


@drafts_app.command("approve")
def drafts_approve(draft_id: Annotated[int, typer.Argument(help="Draft id.")], by: By = "operator") -> None:
    """Approve a draft that passed its checks."""
    drafter = _drafter()
    _act(lambda: drafter.approve(draft_id, by))


@drafts_app.command("reject")
def drafts_reject(
    draft_id: Annotated[int, typer.Argument(help="Draft id.")], by: By = "operator",
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit trail).")] = "",
) -> None:  # fmt: skip
    """Reject a draft; it will not be delivered."""
    drafter = _drafter()
    _act(lambda: drafter.reject(draft_id, by, reason))


@drafts_app.command("edit")
def drafts_edit(
    draft_id: Annotated[int, typer.Argument(help="Draft id.")],
    text: Annotated[str, typer.Option(help="The new text (the checks run again).")],
    by: By = "operator",
) -> None:
    """Replace a draft's text; the checks run again and it goes back to review."""
    drafter = _drafter()
    if not text.strip():
        _fail("--text must not be empty")
    _act(lambda: drafter.edit(draft_id, text, by))


@plan_app.command("show")
def plan_show(community: CommunityOpt) -> None:
    """The plan in force (the stored one, or the one derived from the community profile)."""
    drafter = _drafter()
    _echo(drafter.plan(_community(drafter, community)))


@plan_app.command("set")
def plan_set(
    community: CommunityOpt,
    file: Annotated[str, typer.Option("--file", "-f", help="Plan as YAML or JSON; - for stdin.")],
) -> None:
    """Store a community's plan (validated first; nothing is stored if it is invalid)."""
    from pydantic import ValidationError

    from assistant.drafting.models import Plan

    drafter = _drafter()
    _community(drafter, community)
    try:
        raw = yaml.safe_load(sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8"))
        plan = Plan.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        _fail(f"cannot read the plan: {exc}")
        return
    except ValidationError as exc:
        first = exc.errors()[0]
        _fail(f"invalid plan: {'.'.join(map(str, first['loc']))}: {first['msg']}")
        return
    _echo(drafter.set_plan(community, plan))


def worker(
    once: Annotated[bool, typer.Option(help="Run one tick and exit.")] = False,
    interval: Annotated[float, typer.Option(min=1, help="Seconds between ticks.")] = 60.0,
    community: Annotated[list[str] | None, typer.Option("--community", "-c", help="Only these communities.")] = None,
) -> None:
    """Draft slots ahead (each plan's lead_days) and push due approved posts to webhooks."""
    from assistant.drafting.delivery import Worker
    from assistant.settings import get_settings

    drafter = _drafter()
    for c in community or []:
        _community(drafter, c)
    runner = Worker(drafter, get_settings().webhook_secret.get_secret_value())
    while True:
        report = runner.tick(community or None)
        typer.echo(dumps({"drafted": report.drafted, "delivered": report.delivered, "failed": report.failed}))
        if once:
            return
        time.sleep(interval)


def register(app: typer.Typer) -> None:
    """Adds the drafting commands to the ``shequn`` app."""
    app.command("calendar")(calendar)
    app.command("draft")(draft)
    app.command("worker")(worker)
    app.add_typer(drafts_app, name="drafts")
    app.add_typer(plan_app, name="plan")
