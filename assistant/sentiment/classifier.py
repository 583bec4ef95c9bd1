"""The shipped per-message model: character 1–3-gram TF-IDF + a three-class logistic regression.

Saved as plain arrays (``.npz``, loaded with ``allow_pickle=False``) plus a JSON file with the
vocabulary and parameters, so loading a model can never run code (pickle/joblib could).
Prediction is one sparse matrix product: ≈ 20k short messages/s on one core."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
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
        matrix = self.vectorizer.transform(features(texts))
        logits = np.asarray(matrix @ self.coef.T) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]

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
