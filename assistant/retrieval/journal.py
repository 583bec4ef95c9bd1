"""A write-ahead note of one scope's ingest batch, so a crash never leaves Chroma holding
vectors the catalog does not list (or new text under old entries).

Ingest writes the journal (ids it will touch) before the first vector, and removes it after
the catalog, which is written last. A journal found at start-up by a process that can take the
scope's lock belongs to a dead ingest: the index rolls those ids back to the catalog. The lock
is ``flock``: the kernel releases it when its holder dies, so a live ingest is never undone."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

JOURNAL = "ingest.journal.json"
LOCK = ".ingest.lock"


@contextmanager
def locked(scope_dir: Path, wait: bool = True) -> Iterator[bool]:
    """Holds the scope's ingest lock; yields False (without it) when ``wait`` is off and a live
    process holds it."""
    scope_dir.mkdir(parents=True, exist_ok=True)
    with (scope_dir / LOCK).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def begin(scope_dir: Path, ids: list[str]) -> None:
    path = scope_dir / JOURNAL
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps({"ids": ids}, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def end(scope_dir: Path) -> None:
    (scope_dir / JOURNAL).unlink(missing_ok=True)


def pending(scope_dir: Path) -> list[str] | None:
    """Ids of an unfinished batch, or None when the scope has no journal."""
    try:
        return list(json.loads((scope_dir / JOURNAL).read_text(encoding="utf-8"))["ids"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError):
        return []  # a journal cut short as it was written: its batch never touched Chroma
