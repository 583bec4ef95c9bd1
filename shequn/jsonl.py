"""Streaming JSONL batches: constant memory, progress on stderr, a bad line never stops the rest."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

#: A line as read: text, or its bytes when they are not UTF-8 (reported, never fatal).
RawLine = str | bytes
#: A batch of (line number, raw line) → one (output line, ok) per input line, in order.
Handler = Callable[[list[tuple[int, RawLine]]], list[tuple[str, bool]]]


@contextmanager
def _open_input(path: str) -> Iterator[IO[bytes]]:
    if path == "-":
        yield sys.stdin.buffer
        return
    with Path(path).open("rb") as fh:
        yield fh


@contextmanager
def _open_output(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout
        return
    with Path(path).open("w", encoding="utf-8") as fh:
        yield fh


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def stream(
    input_path: str,
    output_path: str,
    handle: Handler,
    batch: int,
    mapper: Callable[[Handler, Iterator[list[tuple[int, RawLine]]]], Iterable[list[tuple[str, bool]]]] = map,
) -> dict[str, int]:
    """Feeds non-blank input lines to ``handle`` ``batch`` at a time and writes what it returns.

    The handler does all per-line work (parsing included), so a ``mapper`` can run it in worker
    processes while this loop only reads and writes."""
    counts = {"lines": 0, "ok": 0, "errors": 0}
    with _open_input(input_path) as src, _open_output(output_path) as dst:
        for results in mapper(handle, _batches(src, batch)):
            for line, ok in results:
                dst.write(line + "\n")
                counts["ok" if ok else "errors"] += 1
            counts["lines"] += len(results)
            print(f"… {counts['lines']} lines", file=sys.stderr, flush=True)
    return counts


def _batches(src: IO[bytes], size: int) -> Iterator[list[tuple[int, RawLine]]]:
    pending: list[tuple[int, RawLine]] = []
    for number, data in enumerate(src, start=1):
        try:
            raw: RawLine = data.decode("utf-8")
        except UnicodeDecodeError:
            raw = data
        if raw.strip():
            pending.append((number, raw))
            if len(pending) >= size:
                yield pending
                pending = []
    if pending:
        yield pending


def row_handler(
    validate: Callable[[dict[str, Any]], None], handle_rows: Callable[[list[dict[str, Any]]], list[str]]
) -> Handler:
    """A ``Handler`` that parses each line as a JSON object and checks it with ``validate``
    (which raises ``ValueError``); valid rows go to ``handle_rows``, which returns their
    finished output lines. A bad line comes back as itself plus ``error`` and ``line``."""

    def handle(lines: list[tuple[int, RawLine]]) -> list[tuple[str, bool]]:
        parsed = [_parse(number, raw, validate) for number, raw in lines]
        good = [row for _, row, error in parsed if not error]
        results = iter(handle_rows(good)) if good else iter(())
        return [
            (dumps({**row, "line": number, "error": error}), False) if error else (next(results), True)
            for number, row, error in parsed
        ]

    return handle


def _parse(number: int, raw: RawLine, validate: Callable[[dict[str, Any]], None]) -> tuple[int, dict[str, Any], str]:
    if isinstance(raw, bytes):
        return number, {"raw": raw.decode("utf-8", "replace").rstrip("\n")[:1000]}, "line is not valid UTF-8"
    try:
        row = json.loads(raw)
    except json.JSONDecodeError as exc:
        return number, {"raw": raw.rstrip("\n")[:1000]}, f"invalid JSON: {exc.msg}"
    if not isinstance(row, dict):
        return number, {"raw": raw.rstrip("\n")[:1000]}, "line must be a JSON object"
    try:
        validate(row)
    except ValueError as exc:
        return number, row, str(exc)
    return number, row, ""
