"""Streaming JSONL batches: constant memory, progress on stderr, a bad line never stops the rest."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def _open(path: str, mode: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdin if "r" in mode else sys.stdout
        return
    with Path(path).open(mode, encoding="utf-8") as fh:
        yield fh


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def process_batched(
    input_path: str,
    output_path: str,
    handle_many: Callable[[list[dict[str, Any]]], list[str]],
    validate: Callable[[dict[str, Any]], None],
    batch: int = 512,
) -> dict[str, int]:
    """Applies ``handle_many`` to valid rows ``batch`` at a time (vectorised models) and writes the
    finished lines it returns. A line that is not a JSON object, or that ``validate`` rejects
    (``ValueError``), is written back with an ``error`` field and its ``line`` number instead of
    being dropped. Output keeps input order; memory stays bounded by the batch."""
    counts = {"lines": 0, "ok": 0, "errors": 0}
    with _open(input_path, "r") as src, _open(output_path, "w") as dst:
        pending: list[tuple[int, dict[str, Any] | None, str]] = []

        def flush() -> None:
            good = [row for _, row, err in pending if row is not None and not err]
            results = iter(handle_many(good)) if good else iter(())
            for number, row, err in pending:
                if err:
                    dst.write(dumps({**(row or {}), "line": number, "error": err}) + "\n")
                    counts["errors"] += 1
                else:
                    dst.write(next(results) + "\n")
                    counts["ok"] += 1
            pending.clear()
            print(f"… {counts['lines']} lines", file=sys.stderr, flush=True)

        for number, raw in enumerate(src, start=1):
            if not raw.strip():
                continue
            counts["lines"] += 1
            pending.append(_parse(number, raw, validate))
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
    return counts


def _parse(number: int, raw: str, validate: Callable[[dict[str, Any]], None]) -> tuple[int, dict[str, Any] | None, str]:
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
