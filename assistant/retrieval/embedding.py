"""Offline Chinese embedding: signed feature hashing of canonical words, their pinyin and
character bigrams, IDF-weighted.

No model weights, no network: the vector of a text depends only on the text, the shipped
word lists and this code, so a persisted index reopens identically in any process.
Paraphrases that share few characters still meet through the synonym table (canonical
words) and pinyin (homophone typos such as 优慧券 → 优惠券).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import numpy as np

from assistant.retrieval.tokenize import Tokenizer, default_tokenizer

_LINE_SPLIT = re.compile(r"[\n\r]+")

#: Weights of character-bigram and pinyin-bigram features (a word weighs IDF/10, ~0.4–1.2);
#: tuned on the retrieval eval suite.
BIGRAM_WEIGHT = 0.35
PINYIN_WEIGHT = 0.25


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; ``config`` identifies it in a persisted index."""

    @property
    def config(self) -> dict[str, object]: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def stable_hash(feature: str) -> int:
    """CRC32: stable across processes and machines (Python's ``hash`` is salted per process)."""
    return zlib.crc32(feature.encode("utf-8"))


@dataclass(eq=False)
class HashingEmbedder:
    """Signed hashing embedder; a multi-line text is the normalised mean of its lines, so an
    FAQ entry embedded as "question + similar questions" counts each phrasing once."""

    dim: int = 384
    tokenizer: Tokenizer = field(default_factory=default_tokenizer)

    VERSION = 1

    @property
    def config(self) -> dict[str, object]:
        return {"kind": "local", "dim": self.dim, "version": self.VERSION}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        owners: list[int] = []  # line → text row
        rows: list[int] = []  # feature → line
        slots: list[int] = []
        values: list[float] = []
        for owner, text in enumerate(texts):
            for line in [ln for ln in _LINE_SPLIT.split(text) if ln.strip()] or [text]:
                for feature, weight in self.features(line).items():
                    slot, sign = self._slot(feature)
                    rows.append(len(owners))
                    slots.append(slot)
                    values.append(sign * weight)
                owners.append(owner)
        # Accumulated in one numpy call: per-feature ``vec[i] += w`` cost 100 µs a line.
        lines = np.zeros((len(owners), self.dim), dtype=np.float32)
        np.add.at(
            lines,
            (np.asarray(rows, dtype=np.intp), np.asarray(slots, dtype=np.intp)),
            np.asarray(values, dtype=np.float32),
        )
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        np.add.at(out, np.asarray(owners, dtype=np.intp), normalise_rows(lines))
        return normalise_rows(out)

    def features(self, text: str) -> dict[str, float]:
        """Weighted features of one line (exposed for tests and debugging)."""
        feats: dict[str, float] = {}
        for term in self.tokenizer.terms(text):
            feats[term] = feats.get(term, 0.0) + self._term_weight(term)
        return feats

    @cache  # noqa: B019 - bounded by the vocabulary; embedders live as long as the process
    def _slot(self, feature: str) -> tuple[int, float]:
        h = stable_hash(feature)
        return h % self.dim, 1.0 if (h >> 31) & 1 else -1.0

    @cache  # noqa: B019 - as above
    def _term_weight(self, term: str) -> float:
        if term.startswith("b:"):
            return BIGRAM_WEIGHT
        if term.startswith("p:"):
            return PINYIN_WEIGHT
        return self.tokenizer.weight(term) / 10.0


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms
