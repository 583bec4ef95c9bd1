"""The shipped per-message model: character 1–3-gram TF-IDF + a three-class logistic regression.

Saved as plain arrays (``.npz``, loaded with ``allow_pickle=False``) plus a JSON file with the
vocabulary and parameters, so loading a model can never run code (pickle/joblib could).
Prediction finds a batch's n-grams with numpy (each n-gram an integer made of its characters'
ids), not sklearn's per-text Python analyser, then one sparse matrix product."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from assistant.sentiment.models import LABELS
from assistant.text import fold

NGRAMS = (1, 3)
MAX_FEATURES = 200_000


def features(texts: Sequence[str]) -> list[str]:
    """Full/half width, traditional/simplified and case are one thing to the model."""
    return [fold(t) for t in texts]


def _vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, min_df=2, max_features=MAX_FEATURES,
        vocabulary=vocabulary, dtype=np.float32,
    )  # fmt: skip


@dataclass
class SentimentModel:
    vectorizer: TfidfVectorizer
    coef: np.ndarray  # classes × features
    intercept: np.ndarray
    labels: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Rows of P(label) for each text, columns in ``self.labels`` order."""
        logits = np.asarray(self.matrix(texts) @ self.coef.T) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]

    def matrix(self, texts: Sequence[str]) -> csr_matrix:
        """The TF-IDF rows ``vectorizer.transform`` gives (lower case, runs of white space as one
        space, every character n-gram, sublinear TF, IDF, L2), for a whole batch at once."""
        table = self._grams
        docs = [_WHITE_SPACES.sub(" ", t.lower()) for t in features(texts)]
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        codes = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32)
        ids = table.char_ids(codes)
        owner = np.repeat(np.arange(len(docs)), lengths)
        room = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(codes))  # characters left in the text
        unknown = np.concatenate(([0], np.cumsum(ids == 0)))  # an n-gram with one is in no vocabulary
        rows, columns = [], []
        for n in range(NGRAMS[0], NGRAMS[1] + 1):
            at = np.flatnonzero(room >= n)
            at = at[unknown[at + n] == unknown[at]]
            key = np.zeros(len(at), dtype=np.int64)
            for k in range(n):
                key = (key << table.bits) | ids[at + k]
            column = table.columns(key)
            hit = column >= 0
            rows.append(owner[at[hit]])
            columns.append(column[hit])
        row, column = np.concatenate(rows), np.concatenate(columns)
        counts = csr_matrix((np.ones(len(row), dtype=np.float32), (row, column)), shape=(len(docs), table.size))
        counts.sum_duplicates()
        counts.data = (1.0 + np.log(counts.data)) * self.vectorizer.idf_[counts.indices]
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        counts.data /= np.repeat(np.where(norms > 0, norms, 1.0), np.diff(counts.indptr)).astype(np.float32)
        return counts

    @cached_property
    def _grams(self) -> GramTable:
        return GramTable(self.vectorizer.vocabulary_)

    def save(self, path: Path) -> None:
        """``path`` (.npz arrays) and ``path`` with ``.json`` (vocabulary and parameters)."""
        vocabulary = sorted(self.vectorizer.vocabulary_, key=self.vectorizer.vocabulary_.__getitem__)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(fh, coef=self.coef.astype(np.float32), intercept=self.intercept,
                                idf=self.vectorizer.idf_.astype(np.float32))  # fmt: skip
        params = {"labels": self.labels, "ngrams": list(NGRAMS), "meta": self.meta, "vocabulary": vocabulary}
        path.with_suffix(".json").write_text(json.dumps(params, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> SentimentModel:
        params = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        with np.load(path, allow_pickle=False) as arrays:
            coef, intercept, idf = arrays["coef"], arrays["intercept"], arrays["idf"]
        vectorizer = _vectorizer({gram: i for i, gram in enumerate(params["vocabulary"])})
        vectorizer.idf_ = idf
        return cls(vectorizer, coef, intercept, list(params["labels"]), params["meta"])


_WHITE_SPACES = re.compile(r"\s\s+")  # what sklearn's analyser folds to one space


class GramTable:
    """The vocabulary's n-grams as sorted integers: each character of the vocabulary gets an id
    from 1 (0 for any other character, so an n-gram holding one matches nothing), and an n-gram
    is its ids side by side in ``bits``-bit fields (longer n-grams are larger numbers)."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.alphabet = np.array(sorted({ord(ch) for gram in vocabulary for ch in gram}), dtype=np.uint32)
        self.bits = max(1, int(len(self.alphabet)).bit_length())
        if self.bits * NGRAMS[1] > 62:
            raise ValueError("vocabulary alphabet too large for integer n-gram keys")
        position = {int(code): i + 1 for i, code in enumerate(self.alphabet)}
        keys = np.zeros(len(vocabulary), dtype=np.int64)
        columns = np.zeros(len(vocabulary), dtype=np.int64)
        for i, (gram, column) in enumerate(vocabulary.items()):
            key = 0
            for ch in gram:
                key = (key << self.bits) | position[ord(ch)]
            keys[i], columns[i] = key, column
        order = np.argsort(keys)
        self.keys, self.column_of, self.size = keys[order], columns[order], len(vocabulary)

    def char_ids(self, codes: np.ndarray) -> np.ndarray:
        at = np.minimum(np.searchsorted(self.alphabet, codes), len(self.alphabet) - 1)
        return np.where(self.alphabet[at] == codes, at + 1, 0).astype(np.int64)

    def columns(self, keys: np.ndarray) -> np.ndarray:
        """The column of each n-gram key, -1 where the vocabulary does not have it."""
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[at] == keys, self.column_of[at], -1)


def train(texts: Sequence[str], labels: Sequence[str], weights: Sequence[float], c: float = 4.0) -> SentimentModel:
    """Fits on all rows; ``weights`` let a few thousand chat lines count against 30k reviews."""
    vectorizer = _vectorizer()
    matrix = vectorizer.fit_transform(features(texts))
    y = np.array([LABELS.index(label) for label in labels])
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(matrix, y, sample_weight=np.asarray(weights, dtype=np.float64))
    coef = np.zeros((len(LABELS), matrix.shape[1]), dtype=np.float32)
    intercept = np.zeros(len(LABELS), dtype=np.float64)
    coef[model.classes_] = model.coef_
    intercept[model.classes_] = model.intercept_
    meta = {"rows": len(texts), "features": int(matrix.shape[1]), "c": c}
    return SentimentModel(vectorizer, coef, intercept, list(LABELS), meta)
