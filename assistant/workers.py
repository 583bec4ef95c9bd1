"""CPU-bound batches on every core.

Segmenting, embedding and moderating hold the GIL, so threads cannot share them; forked
processes can. The children inherit what the parent already loaded (the classifier, jieba's
dictionary, the embedder) copy-on-write, so only items and results are pickled.

Forking is safe because the children only run Python and numpy: they never touch Chroma or
SQLite, and multiprocessing ends them with ``os._exit``, so no inherited client is finalised
twice. One pool at a time per process: the work function reaches the children as a module
global, set before they fork.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any

_work: Callable[[Any], Any] | None = None


def processes(requested: int) -> int:
    """The processes a ``--workers`` option asks for: 0 means one per core."""
    return requested or os.cpu_count() or 1


class ForkedWorkers:
    """``work`` over up to ``workers`` forked processes, forked on first use (never, when every
    batch is too small to gain: below ``min_items`` items per process, forking and pickling
    cost more than they save). Use as a context manager; results keep the input order."""

    def __init__(self, work: Callable[[Any], Any], workers: int, min_items: int) -> None:
        self.work, self.workers, self.min_items = work, max(1, workers), min_items
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ForkedWorkers:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        global _work
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=error is not None)
            self._pool, _work = None, None

    def map(self, chunks: Sequence[Sequence[Any]]) -> Iterator[Any]:
        """``map(work, chunks)``, every chunk submitted at once (so all children fork before
        the caller starts threads of its own)."""
        entries = sum(len(c) for c in chunks)
        if min(self.workers, entries // self.min_items, len(chunks)) <= 1:
            yield from map(self.work, chunks)
            return
        yield from self._executor().map(_in_worker, chunks)

    def imap(self, batches: Iterable[list[Any]]) -> Iterator[list[Any]]:
        """``work`` on each batch (a list in, a list out), each batch split over the processes;
        the next batch is being worked on while the caller handles the previous one, and at
        most two are in memory."""
        pending: deque[list[Future[list[Any]]]] = deque()
        for batch in batches:
            chunks = max(1, min(self.workers, len(batch) // self.min_items))
            if chunks == 1 and not pending:
                yield self.work(batch)
                continue
            size = -(-len(batch) // chunks)
            pool = self._executor()
            pending.append([pool.submit(_in_worker, batch[i : i + size]) for i in range(0, len(batch), size)])
            if len(pending) > 1:
                yield _joined(pending.popleft())
        while pending:
            yield _joined(pending.popleft())

    def _executor(self) -> ProcessPoolExecutor:
        global _work
        if self._pool is None:
            if _work is not None:
                raise RuntimeError("another ForkedWorkers pool is open in this process")
            _work = self.work
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"))
        return self._pool


def _joined(parts: list[Future[list[Any]]]) -> list[Any]:
    return [result for part in parts for result in part.result()]


def _in_worker(items: Any) -> Any:
    assert _work is not None, "workers are forked after the work function is set"
    return _work(items)
