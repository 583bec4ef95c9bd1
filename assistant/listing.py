"""Directory listings read once and kept while the directories are unchanged.

Which communities exist is a listing of a few folders, asked on every request; reading them
(~0.2 ms of ``iterdir`` and ``stat``) cost more than the moderation itself. A folder's
modification time changes whenever an entry is added, removed or renamed in it, by any
process, so a listing stays exact by comparing a few ``stat`` calls. Timestamps are coarse (a
clock tick of the kernel), so a listing is only kept once its folders are older than
``SETTLED_SECONDS``: two changes within one tick cannot hide behind the same time."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")
#: How old a folder's modification time must be before a listing of it is trusted later.
SETTLED_SECONDS = 1.0


def stamps(paths: Sequence[Path]) -> tuple[int | None, ...]:
    """Each path's modification time in ns, None where it does not exist: one ``stat`` each."""
    found: list[int | None] = []
    for path in paths:
        try:
            found.append(os.stat(path).st_mtime_ns)
        except OSError:
            found.append(None)
    return tuple(found)


class Listing(Generic[T]):
    """``read()`` returns the listing and the folders it depends on (existing or not: a folder
    that appears counts as a change). Thread-safe: a stale listing is read again by one thread."""

    def __init__(self, read: Callable[[], tuple[T, Sequence[Path]]], clock: Callable[[], float] = time.time) -> None:
        self._read, self._clock = read, clock
        self._kept: tuple[T, Sequence[Path], tuple[int | None, ...]] | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        kept = self._kept
        if kept is not None and stamps(kept[1]) == kept[2]:
            return kept[0]
        with self._lock:
            started = self._clock()
            value, folders = self._read()
            stamp = stamps(folders)
            settled = all(s is None or s < (started - SETTLED_SECONDS) * 1e9 for s in stamp)
            self._kept = (value, folders, stamp) if settled else None
            return value
