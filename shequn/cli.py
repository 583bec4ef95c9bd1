"""``shequn`` command line: JSON on stdout, human messages on stderr (design.md §5).

Heavy imports (Chroma, FastAPI) happen inside commands so ``shequn search`` starts fast."""

from __future__ import annotations

import gc
import json
import sys
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.exceptions import TyperException

from shequn import cli_db, cli_keys, cli_sentiment
from shequn.cli_drafts import register as register_drafting
from shequn.cli_eval import eval_app
from shequn.jsonl import dumps, row_handler, stream

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.communities import Communities
    from assistant.services import Services
    from assistant.settings import Settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="shequn (社群): FAQ search, moderation, drafting and evals for community operators.",
)
moderation_app = typer.Typer(no_args_is_help=True, help="Moderation policy and per-community classifiers.")
faq_app = typer.Typer(no_args_is_help=True, help="What the FAQ is missing, from the questions it could not answer.")
app.add_typer(eval_app, name="eval")
app.add_typer(moderation_app, name="moderation")
app.add_typer(faq_app, name="faq")
app.add_typer(cli_keys.keys_app, name="keys")
app.add_typer(cli_db.db_app, name="db")
app.command("audit")(cli_keys.audit)
cli_sentiment.install(app)
register_drafting(app)

#: Below this many messages per process, forking and pickling cost more than they save.
MIN_MESSAGES_PER_WORKER = 500


class Kind(StrEnum):
    """Kinds of knowledge entry ``--kind`` filters on (typer lists them and refuses others)."""

    faq = "faq"
    script = "script"


Community = Annotated[
    str | None, typer.Option("--community", "-c", help="Community id (default: SHEQUN_DEFAULT_COMMUNITY or all).")
]


@cache
def _services(log: bool = True) -> Services:
    """The process's services, built once (parts load on first use, so commands stay fast)."""
    from assistant.services import Services
    from assistant.settings import get_settings

    return Services.from_settings(get_settings(), log=log)


def _settings() -> Settings:
    return _services().settings


def _check_community(row: dict[str, Any], default: str | None, communities: Communities) -> None:
    """Batch rows name their own community (or take the default); check it before any work."""
    wanted = row.get("community", default)
    if wanted is not None and not isinstance(wanted, str):
        raise ValueError("'community' must be a string")
    from assistant.ids import UnknownCommunity

    try:
        communities.resolve(wanted)
    except UnknownCommunity as exc:
        raise ValueError(f"unknown community {exc.args[0]!r}; known: {communities.known()}") from exc


def _fail(message: str, code: int = 2) -> None:
    _report(message)
    raise typer.Exit(code)


def _report(message: str) -> None:
    """An error as JSON on stdout (for scripts) and one line on stderr (for people)."""
    typer.echo(dumps({"error": message}))
    typer.echo(f"error: {message}", err=True)


@app.command()
def ingest(
    path: Annotated[
        Path | None, typer.Argument(help="Knowledge folder, or one FAQ file (YAML/JSONL) or script (.md).")
    ] = None,
    community: Community = None,
    workers: Annotated[
        int, typer.Option(min=0, max=64, help="Processes that segment and embed large ingests (0: one per core).")
    ] = 0,
    allow_risky: Annotated[
        bool, typer.Option(help="Ingest entries moderation finds risky to send to members (logged for audit).")
    ] = False,
) -> None:
    """Validate and index knowledge incrementally; prints what was added/updated/removed.

    Entries that would send members contact details, links or requests that are not the
    community's own are refused and listed, unless --allow-risky."""
    from assistant.ids import community_id
    from assistant.knowledge.loader import load_knowledge
    from assistant.workers import processes

    loaded = load_knowledge(path or _settings().knowledge_dir, community_id(community) if community else None)
    report = _services().ingest(loaded, processes(workers), allow_risky)
    for error in report.errors:
        where = f"{error.file}:{error.line}" if error.line else error.file
        typer.echo(f"skipped {where}: {error.reason}", err=True)
    typer.echo(report.model_dump_json(indent=2))
    if report.errors:
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="The question to look up.")] = None,
    community: Community = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="Results to return.")] = 5,
    kind: Annotated[list[Kind] | None, typer.Option("--kind", help="Only these kinds: faq, script.")] = None,
    input: Annotated[
        str | None, typer.Option("--input", "-i", help="JSONL of {question|query, community?, k?}; - for stdin.")
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Where batch results go; - for stdout.")] = "-",
) -> None:
    """Hybrid (dense + BM25) search of the knowledge base."""
    services = _services()
    index, communities = services.index, services.communities
    kinds = [k.value for k in kind] if kind else None

    def run(q: str, c: str | None, n: int) -> list[dict[str, Any]]:
        if not q.strip():
            raise ValueError("empty question")
        return [h.model_dump() for h in index.search(q, communities.resolve(c), n, kinds)]

    if input is None:
        if query is None:
            _fail("give a question, or --input FILE for a batch")
        typer.echo(dumps({"query": query, "results": run(str(query), community, k)}))
        return

    def question(row: dict[str, Any]) -> str:
        q = row.get("question", row.get("query"))
        return q if isinstance(q, str) else ""

    def validate(row: dict[str, Any]) -> None:
        if not question(row).strip():
            raise ValueError("missing 'question' (non-empty string)")
        n = row.get("k", k)
        if not isinstance(n, int) or not 1 <= n <= 50:
            raise ValueError("'k' must be an integer from 1 to 50")
        _check_community(row, community, communities)

    def handle_many(rows: list[dict[str, Any]]) -> list[str]:
        return [
            dumps(
                {
                    **row,
                    "results": run(question(row), row.get("community", community), row.get("k", k)),
                }
            )
            for row in rows
        ]

    _finish(stream(input, output, row_handler(validate, handle_many), batch=100))


@app.command()
def moderate(
    text: Annotated[str | None, typer.Argument(help="The message to check.")] = None,
    community: Community = None,
    input: Annotated[
        str | None, typer.Option("--input", "-i", help="JSONL of {text, community?}; - for stdin.")
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Where batch results go; - for stdout.")] = "-",
    batch: Annotated[int, typer.Option(min=1, max=20000, help="Messages scored together.")] = 2000,
    workers: Annotated[int, typer.Option(min=0, max=64, help="Processes for large batches (0: one per core).")] = 0,
    source: Annotated[
        str, typer.Option(help="Who posted: member, staff or draft (ad_law applies to staff and drafts only).")
    ] = "member",
) -> None:
    """Risk verdict for a message, or each line of a JSONL file (adds "verdict"; rows may carry
    "community" and "source")."""
    from assistant.moderation.models import SOURCES
    from assistant.workers import ForkedWorkers, processes

    if source not in SOURCES:
        _fail(f"--source must be one of {', '.join(SOURCES)}")
    service = _services().moderation
    community = service.moderator(community).community  # resolved: a typo is an error, not default rules
    if input is None:
        if text is None or not text.strip():
            _fail("give a message, or --input FILE for a batch")
        typer.echo(service.moderate_many([str(text)], community, source)[0].model_dump_json())  # type: ignore[arg-type]
        return

    def score(rows: list[dict[str, Any]]) -> list[str]:
        """Finished output lines, rows grouped by their own ``community`` and ``source``."""
        groups: dict[tuple[str | None, str], list[int]] = {}
        for i, row in enumerate(rows):
            groups.setdefault((row.get("community", community), row.get("source") or source), []).append(i)
        out = ["" for _ in rows]
        for (group, by), indexes in groups.items():
            verdicts = service.moderate_many([rows[i]["text"] for i in indexes], group, by)  # type: ignore[arg-type]
            for i, verdict in zip(indexes, verdicts, strict=True):
                # pydantic's native serialiser spliced into the row: 14 µs vs 35 µs for dict + json
                out[i] = f'{dumps(rows[i])[:-1]}, "verdict": {verdict.model_dump_json()}}}'
        return out

    def validate(row: dict[str, Any]) -> None:
        if not isinstance(row.get("text"), str) or not row["text"].strip():
            raise ValueError("missing 'text' (non-empty string)")
        _check_community(row, community, service.communities)
        if row.get("source") is not None and row["source"] not in SOURCES:
            raise ValueError(f"'source' must be one of {', '.join(SOURCES)}")

    handle = row_handler(validate, score)  # models are loaded above, before any worker forks
    with ForkedWorkers(handle, processes(workers), MIN_MESSAGES_PER_WORKER) as forked:
        _finish(stream(input, output, handle, batch, lambda _, batches: forked.imap(batches)))


@moderation_app.command("train")
def moderation_train(
    data: Annotated[
        list[Path], typer.Option(help="Labelled JSONL {text, risky, categories} (file or folder; repeatable).")
    ],
    community: Community = None,
    output: Annotated[
        Path | None, typer.Option(help="Model file (default: the community's, in SHEQUN_DATA_DIR).")
    ] = None,
    c: Annotated[
        float | None, typer.Option("--c", help="Inverse regularisation; chosen by cross-validation if unset.")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Train and save even if the data is too small or one-sided to beat the shipped model.")
    ] = False,
) -> None:
    """Train a classifier from labelled messages; prints cross-validated metrics.

    With --community it replaces the built-in classifier (next to the rules) for that community,
    so it is refused, with the reason, when the data is too small or one-sided, or when its
    cross-validated F1 does not beat the shipped model's F1 on the same data."""
    from assistant.ids import community_id
    from assistant.moderation.classifier import read_labelled, train
    from assistant.moderation.engine import builtin_classifier
    from assistant.moderation.training import data_problems, shipped_risky_f1

    if community is None and output is None:
        _fail("give --community ID (or --output FILE)")
    path = output or _services().communities.model_path(community_id(community))  # a bad name fails first
    rows, errors = read_labelled(data)
    for error in errors:
        typer.echo(f"skipped {error}", err=True)
    if len({r.risky for r in rows}) < 2:
        _fail("need both risky and benign rows to train")
    problems = data_problems(rows)
    if problems and not force:
        _fail(f"refusing to train: {'; '.join(problems)} (--force trains anyway)")
    model = train(rows, c=c)
    baseline = shipped_risky_f1(rows, builtin_classifier())
    if model.metrics["risky_f1"] <= baseline and not force:
        _fail(f"refusing to save: cross-validated risky F1 {model.metrics['risky_f1']} does not beat the shipped "
              f"model's {baseline} on this data (--force saves anyway)")  # fmt: skip
    model.save(path)
    report = {"model": str(path), "skipped_lines": len(errors), "shipped_risky_f1": baseline, **model.metrics}
    typer.echo(dumps({**report, "warnings": problems} if problems else report))


@moderation_app.command("calibrate")
def moderation_calibrate(
    benign: Annotated[Path, typer.Option(help="Ordinary traffic, {text} lines: every flag on it is a false alarm.")],
    data: Annotated[
        Path | None, typer.Option(help="Labelled cases {text, risky, categories} (default: the moderation suite).")
    ] = None,
    community: Community = None,
    budget: Annotated[
        float, typer.Option(min=0, help="False alarms allowed per 1,000 benign messages, per category.")
    ] = 1.0,
    delete_budget: Annotated[
        float, typer.Option(min=0, help="Classifier-only deletions allowed per 1,000 benign messages, per category.")
    ] = 0.2,
    output: Annotated[Path | None, typer.Option(help="Write the chosen thresholds as policy YAML here.")] = None,
) -> None:
    """Choose per-category thresholds against a false-alarm budget; prints recall at each."""
    import yaml

    from assistant.moderation import calibrate
    from evals.dataset import load_jsonl
    from evals.moderation import DEFAULT_DATA, BenignCase, ModerationCase

    moderator = _services().moderation.moderator(community)
    plain = load_jsonl(benign, BenignCase)
    labelled = load_jsonl(data or DEFAULT_DATA, ModerationCase)
    report = calibrate.calibrate(
        calibrate.score(moderator, [c.text for c in plain.cases]),
        calibrate.score(moderator, [c.text for c in labelled.cases], [c.categories for c in labelled.cases]),
        budget, delete_budget,
    )  # fmt: skip
    deletes = {c: r["model_delete_threshold"] for c, r in report.items() if r["model_delete_threshold"]}
    policy = {"thresholds": {c: r["threshold"] for c, r in report.items()}, "model_delete_thresholds": deletes}
    if output is not None:
        output.write_text(yaml.safe_dump(policy, allow_unicode=True, sort_keys=True), encoding="utf-8")
    typer.echo(dumps({"benign_messages": len(plain.cases), "labelled": len(labelled.cases), "categories": report,
                      "policy": policy, "dataset_errors": plain.errors + labelled.errors}))  # fmt: skip


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="The member's question.")] = None,
    community: Community = None,
    history: Annotated[
        str | None, typer.Option(help='Earlier turns as JSON: [{"role": "user"|"assistant", "content": "..."}].')
    ] = None,
    input: Annotated[
        str | None, typer.Option("--input", "-i", help="JSONL of {question, community?, history?}; - for stdin.")
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Where batch results go; - for stdout.")] = "-",
) -> None:
    """Answer a member's question from the FAQ with citations, ask back, or hand off (adds "answer")."""
    answerer = _services().answerer
    community = answerer.communities.resolve(community)

    def run(row: dict[str, Any]) -> str:
        turns = _history(row.get("history") or [])
        result = answerer.answer(row["question"], row.get("community", community), turns, row.get("member"))
        return result.model_dump_json()  # type: ignore[no-any-return]

    if input is None:
        if question is None or not question.strip():
            _fail("give a question, or --input FILE for a batch")
        try:
            parsed = json.loads(history) if history else []
        except json.JSONDecodeError as exc:
            _fail(f"--history is not JSON: {exc.msg} at character {exc.pos}")
        typer.echo(run({"question": question, "history": parsed}))
        return

    def validate(row: dict[str, Any]) -> None:
        if not isinstance(row.get("question"), str) or not row["question"].strip():
            raise ValueError("missing 'question' (non-empty string)")
        if row.get("member") is not None and not isinstance(row["member"], str):
            raise ValueError("'member' must be a string")
        _check_community(row, community, answerer.communities)
        _history(row.get("history") or [])

    def handle_many(rows: list[dict[str, Any]]) -> list[str]:
        return [f'{dumps(row)[:-1]}, "answer": {run(row)}}}' for row in rows]

    _finish(stream(input, output, row_handler(validate, handle_many), batch=50))


def _history(value: object) -> list[Any]:
    """Earlier turns, or ``ValueError`` naming the field and the reason (``history[1].role: …``)."""
    from pydantic import TypeAdapter, ValidationError

    from assistant.answering.models import Turn

    try:
        return TypeAdapter(list[Turn]).validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = "history" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        raise ValueError(f"{where}: {error['msg']}") from exc


@faq_app.command("gaps")
def faq_gaps(
    community: Community = None,
    days: Annotated[int, typer.Option(min=1, max=36500, help="Look at questions from the last DAYS days.")] = 30,
    min_count: Annotated[int, typer.Option(min=1, help="Smallest cluster worth suggesting.")] = 2,
) -> None:
    """Cluster recent handed-off / unclear questions into suggested FAQ entries (JSON list)."""
    from datetime import timedelta

    from assistant.answering.gaps import find_gaps

    services = _services()
    community = services.communities.resolve(community)
    rows = services.question_log.rows(community, since=services.now() - timedelta(days=days))
    gaps = find_gaps(rows, services.index.embedder, services.index.tokenizer, min_count=min_count)
    typer.echo(dumps([g.model_dump() for g in gaps]))
    typer.echo(f"{len(rows)} logged questions → {len(gaps)} suggested entries", err=True)


@app.command()
def communities() -> None:
    """Communities with indexed knowledge and how many entries each holds."""
    index = _services().index
    typer.echo(dumps({c: index.count(c) for c in index.communities()}))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default SHEQUN_HOST).")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default SHEQUN_PORT).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Serving processes sharing the port, the data dir and the database.")
    ] = 1,
) -> None:
    """Run the HTTP API (FastAPI + uvicorn). With no API key configured at all it is open to
    anyone who reaches it, so it then only binds to loopback (exit 2 for another address)."""
    import uvicorn

    from api import logs
    from api.auth import announce_open

    services = _services()
    settings = services.settings
    host, port = host or settings.host, port or settings.port
    logs.configure(settings.log_format)
    announce_open(services.keyring, host, port)
    options: dict[str, Any] = {"host": host, "port": port, "log_config": None, "access_log": False}
    if workers > 1:  # each process imports the app by name (rate limits and metrics count per process)
        uvicorn.run("shequn.cli:serving_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(serving_app(), **options)


def serving_app() -> FastAPI:
    """The app one serving process runs, its logging set up and its dictionary loaded."""
    from api import logs
    from api.app import create_app

    services = _services()
    logs.configure(services.settings.log_format)
    app = create_app(services.settings, services)
    services.index.tokenizer.load_dictionary()  # paid at start, not during some member's question
    # What start-up loaded (jieba's dictionary, models, Chroma) lives as long as the process:
    # frozen, the collector stops rescanning it on every full collection while serving.
    gc.collect()
    gc.freeze()
    return app


def _finish(counts: dict[str, int]) -> None:
    """A batch's counts on stderr; exit 1 when any line failed (each has its "error" line)."""
    typer.echo(dumps(counts), err=True)
    if counts["errors"]:
        raise typer.Exit(1)


def main() -> None:
    """Exit codes: 0 done; 1 some lines or entries failed (each reported); 2 the command could
    not run (bad option or input, unknown community, unreadable file, broken settings file);
    130 interrupted. Expected failures print one line, never a traceback."""
    from assistant.config_files import ConfigFileError
    from assistant.ids import InvalidCommunity, UnknownCommunity

    try:
        code = app(standalone_mode=False)  # click returns an Exit's code instead of raising it
    except ConfigFileError as exc:
        typer.echo(dumps({"error": str(exc), "file": exc.name, "reasons": exc.reasons}))
        sys.exit(2)
    except UnknownCommunity as exc:
        _exit_with(f"unknown community {exc.args[0]!r}; known: {_services().communities.known()}")
    except (InvalidCommunity, ValueError) as exc:
        _exit_with(str(exc).splitlines()[0])
    except OSError as exc:
        _exit_with(f"{exc.strerror or type(exc).__name__}: {exc.filename}" if exc.filename else str(exc))
    except TyperException as exc:  # a bad option or argument: typer's own one-line message
        _exit_with(exc.format_message())
    except (KeyboardInterrupt, typer.Abort):
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _exit_with(message: str) -> None:
    _report(message)
    sys.exit(2)
