"""BM25 over jieba words (bm25s: ~3 ms/query over 20k docs, ~15× faster than rank_bm25 here).

Documents are owned by knowledge entries; results come back one row per entry.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s

logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """BM25 over pre-tokenised documents, each owned by a knowledge entry."""

    def __init__(self, owners: Sequence[str], tokens: Sequence[Sequence[str]]) -> None:
        self.owners = list(owners)
        self.retriever: bm25s.BM25 | None = None
        if self.owners:
            self.retriever = bm25s.BM25()
            # bm25s drops a document whose tokens are all unknown; an empty token keeps rows aligned.
            self.retriever.index([list(t) or [""] for t in tokens], show_progress=False)

    def search(self, words: Sequence[str], n: int) -> list[tuple[str, float]]:
        """Best entries as (owner id, BM25 score), one row per entry (its best document)."""
        if self.retriever is None or not words:
            return []
        vocab = self.retriever.vocab_dict
        known = [w for w in words if w in vocab]
        if not known:
            return []
        k = min(len(self.owners), n * 4)
        # n_threads=0: bm25s maps in the calling thread (1 starts and joins a thread pool per query).
        docs, scores = self.retriever.retrieve([known], k=k, show_progress=False, n_threads=0)
        best: dict[str, float] = {}
        for doc, score in zip(docs[0], scores[0], strict=True):
            if score <= 0:
                break
            owner = self.owners[int(doc)]
            best.setdefault(owner, float(score))
        return list(best.items())[:n]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "owners.json").write_text(json.dumps(self.owners, ensure_ascii=False), encoding="utf-8")
        if self.retriever is not None:
            self.retriever.save(str(folder / "bm25"))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        index = cls([], [])
        owners_file = folder / "owners.json"
        if not owners_file.exists():
            return index
        index.owners = json.loads(owners_file.read_text(encoding="utf-8"))
        if index.owners:
            index.retriever = bm25s.BM25.load(str(folder / "bm25"))
        return index
