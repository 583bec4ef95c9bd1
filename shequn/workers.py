"""Large batches on every core: chunks go to forked worker processes that share the
already-loaded models copy-on-write, and do all the per-line work (parse, score, serialise).
The next batch is already being worked on while the caller writes the previous one."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

#: Below this many items per worker, forking and pickling cost more than they save.
MIN_ITEMS_PER_WORKER = 500

_work: Callable[[list[Any]], list[Any]] | None = None
_pool: ProcessPoolExecutor | None = None


def imap_in_workers(
    work: Callable[[list[Any]], list[Any]], batches: Iterable[list[Any]], workers: int
) -> Iterator[list[Any]]:
    """``map(work, batches)``, each batch split over up to ``workers`` processes; results in
    input order, at most two batches in memory.

    ``work`` must be the same function on every call: the forked pool inherits it once."""
    pending: deque[list[Future[list[Any]]]] = deque()
    for batch in batches:
        chunks = max(1, min(workers, len(batch) // MIN_ITEMS_PER_WORKER))
        if chunks == 1 and not pending:
            yield work(batch)
            continue
        pool = _shared_pool(work, workers)
        size = -(-len(batch) // chunks)
        pending.append([pool.submit(_work_in_worker, batch[i : i + size]) for i in range(0, len(batch), size)])
        if len(pending) > 1:
            yield _joined(pending.popleft())
    while pending:
        yield _joined(pending.popleft())


def _joined(parts: list[Future[list[Any]]]) -> list[Any]:
    return [result for part in parts for result in part.result()]


def _shared_pool(work: Callable[[list[Any]], list[Any]], workers: int) -> ProcessPoolExecutor:
    global _work, _pool
    if _pool is None:
        _work = work
        _pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    return _pool


def _work_in_worker(items: list[Any]) -> list[Any]:
    assert _work is not None, "workers are forked after the work function is set"
    return _work(items)
