"""jieba's prefix dictionary, opened lazily from an SQLite copy.

Segmenting one question looks up a few hundred of the dictionary's 500k entries, yet
``jieba.initialize`` loads all of them: 1.0–1.8 s of ``shequn search``'s start-up here.
Opening the SQLite copy and looking those entries up takes ~25 ms. Bulk work (ingest, a busy
server) would pay ~3 µs per lookup instead of a dict's ~0.05 µs, so after
``FULL_LOAD_AFTER`` distinct lookups, or on ``load_all()``, the whole table moves into memory.
Segmentation is the same either way: both hold jieba's own frequencies.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import jieba

from assistant.memory import gc_paused

FULL_LOAD_AFTER = 50_000
_ABSENT = -1


class PrefixDict:
    """The ``FREQ`` mapping jieba reads (``get``, ``in``, ``[]``) and ``add_word`` writes."""

    def __init__(self, owner: jieba.Tokenizer, path: Path, load: Callable[[], dict[str, int]]) -> None:
        self._owner, self._load = owner, load
        self._full: dict[str, int] | None = None
        self._seen: dict[str, int] = {}  # looked-up entries, _ABSENT for a miss
        self._added: dict[str, int] = {}  # add_word at run time, kept across a full load
        self._lock = threading.Lock()
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    @property
    def total(self) -> int:
        """The dictionary's frequency total (jieba's ``Tokenizer.total``)."""
        with self._lock:
            return int(self._db.execute("SELECT total FROM meta").fetchone()[0])

    @property
    def in_memory(self) -> bool:
        return self._full is not None

    def load_all(self, table: dict[str, int] | None = None) -> None:
        """Hands jieba the plain dict (``table`` when the caller already holds it), so bulk
        lookups no longer pass through this class."""
        with self._lock:
            if self._full is None:
                self._full = {**(table if table is not None else self._load()), **self._added}
                self._seen.clear()
            self._owner.FREQ = self._full

    def _lookup(self, key: str) -> int | None:
        if self._full is not None:
            return self._full.get(key)
        value = self._seen.get(key)
        if value is None:
            if len(self._seen) >= FULL_LOAD_AFTER:
                self.load_all()
                return self._lookup(key)
            with self._lock:
                row = self._db.execute("SELECT f FROM freq WHERE k = ?", (key,)).fetchone()
            value = _ABSENT if row is None else int(row[0])
            self._seen[key] = value
        return None if value == _ABSENT else value

    def get(self, key: str, default: Any = None) -> Any:
        value = self._lookup(key)
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._lookup(key) is not None

    def __getitem__(self, key: str) -> int:
        value = self._lookup(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: int) -> None:
        with self._lock:
            self._added[key] = value
            if self._full is not None:
                self._full[key] = value
            else:
                self._seen[key] = value


def install(tokenizer: jieba.Tokenizer, folder: Path | None = None) -> PrefixDict:
    """Gives ``tokenizer`` a lazily opened prefix dictionary, built once per machine and jieba
    dictionary in ``folder`` (default: beside jieba's own cache, in the temp folder)."""
    dictionary = Path(tokenizer.dictionary or Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME)
    folder = folder or Path(tempfile.gettempdir())
    path = folder / f"shequn-jieba-{jieba.__version__}-{dictionary.stat().st_size}.sqlite"
    full = None
    if not path.exists():
        full, total = _full_table(tokenizer.dictionary)
        _write_table(path, full, total)
    prefix = PrefixDict(tokenizer, path, lambda: _full_table(tokenizer.dictionary)[0])
    tokenizer.FREQ, tokenizer.total = prefix, prefix.total
    tokenizer.initialized = True
    if full is not None:
        prefix.load_all(full)  # just loaded to build the copy: keep it rather than load it again
    return prefix


def _write_table(path: Path, freq: dict[str, int], total: int) -> None:
    """Written beside and renamed into place, so concurrent first runs never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".sqlite")
    os.close(fd)
    with closing(sqlite3.connect(tmp)) as db:
        db.execute("CREATE TABLE freq (k TEXT PRIMARY KEY, f INTEGER) WITHOUT ROWID")
        db.executemany("INSERT INTO freq VALUES (?, ?)", freq.items())
        db.execute("CREATE TABLE meta (total INTEGER)")
        db.execute("INSERT INTO meta VALUES (?)", (total,))
        db.commit()
    os.chmod(tmp, 0o644)  # mkstemp makes it private; other users on the machine read it too
    os.replace(tmp, path)


def _full_table(dictionary: str | None) -> tuple[dict[str, int], int]:
    """The whole dictionary, through jieba's own marshal cache."""
    fresh = jieba.Tokenizer(dictionary or jieba.DEFAULT_DICT)
    with gc_paused():
        fresh.initialize()
    return fresh.FREQ, fresh.total
