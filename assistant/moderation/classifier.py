"""A trained text classifier: character n-gram TF-IDF + one logistic regression per label.

Labels are ``risky`` plus each category. The shipped model is built by ``make model``
(``assistant.moderation.training``); ``shequn moderation train`` trains a community's own.
Prediction is a sparse matrix product, so a batch of thousands costs milliseconds and one
message well under one.

Saved as arrays in an ``.npz`` plus a JSON header, loaded with ``allow_pickle=False``: a model
file from a writable folder can hold numbers, never code (a pickle or joblib file can).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import ahocorasick
import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from assistant.moderation.models import CATEGORIES
from assistant.moderation.normalize import normalize

RISKY = "risky"
#: Joins a batch's texts for one scan; never inside a vocabulary n-gram.
_SEPARATOR = "\x00"
#: Categories need this many positive examples before a per-category model is trained.
MIN_POSITIVES = 8


@dataclass
class LabelledMessage:
    text: str
    risky: bool
    categories: list[str] = field(default_factory=list)
    #: The labels (``risky`` or categories) this row trains; ``None``: every label. Data written to
    #: teach one head (group hate and its benign twins, data/train/part20.jsonl) would otherwise
    #: move the overall risky head, which caps every category's score, and with it unrelated ones.
    heads: tuple[str, ...] | None = None


def read_labelled(paths: Iterable[Path]) -> tuple[list[LabelledMessage], list[str]]:
    """Rows in design.md §4 format from files or folders of ``*.jsonl``; bad lines reported."""
    rows: list[LabelledMessage] = []
    errors: list[str] = []
    files = [f for p in paths for f in (sorted(p.glob("*.jsonl")) if p.is_dir() else [p])]
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                cats = [c for c in raw.get("categories") or [] if c in CATEGORIES]
                if not isinstance(raw["text"], str) or not isinstance(raw["risky"], bool):
                    raise TypeError("text must be a string and risky a boolean")
                rows.append(LabelledMessage(raw["text"], raw["risky"], cats, _heads(raw.get("heads"))))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
                errors.append(f"{file}:{number}: {exc}")
    return rows, errors


def _heads(value: object) -> tuple[str, ...] | None:
    """A row's optional ``heads``: a non-empty list of known labels, or absent (every label)."""
    if value is None:
        return None
    known = {RISKY, *CATEGORIES}
    if not isinstance(value, list) or not value or not all(isinstance(h, str) and h in known for h in value):
        raise ValueError(f"heads must be a non-empty list of labels among {RISKY} and the categories, got {value!r}")
    return tuple(value)


def features(texts: Sequence[str]) -> list[str]:
    """Classifiers see the same de-disguised text the lexicon does."""
    return [normalize(t).text for t in texts]


#: Bumped when the saved layout changes; older files are refused with a message.
FORMAT = "shequn-moderation-classifier/1"


class ModelFileError(ValueError):
    """A model file that is not a classifier this version can read (the message names no path)."""


def _padded_words(text: str) -> str:
    """What char_wb n-grams are read from: each whitespace-separated word padded with one space."""
    return "".join(f" {word} " for word in text.lower().split())


@dataclass
class TextClassifier:
    vocabulary: list[str]  # column → char_wb n-gram
    idf: np.ndarray  # column → inverse document frequency
    labels: list[str]
    weights: np.ndarray  # labels × features
    bias: np.ndarray  # labels; includes the calibration shift, so 0.5 is each label's best cut
    metrics: dict[str, Any] = field(default_factory=dict)

    def predict_normalized(self, normalized: Sequence[str]) -> np.ndarray:
        """Scores in (0, 1), one row per text already in comparison form (``features``) and one
        column per label; 0.5 is the cut that maximised that label's cross-validated F1.

        Equivalent to ``vectorizer.transform`` (char_wb n-grams, sublinear TF, IDF, L2) and a
        product with the weights, but the whole batch is one Aho-Corasick scan for the
        vocabulary's n-grams: sklearn's ``transform`` costs ~1.4 ms of fixed overhead per call,
        and its per-text Python analyser and lookups were a quarter of batch moderation."""
        if len(normalized) == 1:
            return self._predict_one(normalized[0])[None, :]
        starts, padded, position = [], [], 0
        for text in normalized:
            words = _padded_words(text)
            starts.append(position)
            padded.append(words)
            position += len(words) + 1
        found = list(self._ngrams.iter(_SEPARATOR.join(padded)))
        flat = np.fromiter(itertools.chain.from_iterable(found), dtype=np.intp, count=2 * len(found))
        ends, columns = flat[0::2], flat[1::2]
        size = len(self.idf)
        # Matches come in text order; one key per (text, n-gram) with its count.
        keys, counts = np.unique((np.searchsorted(starts, ends, side="right") - 1) * size + columns, return_counts=True)
        rows, column_ids = np.divmod(keys, size)
        values = (1.0 + np.log(counts)) * self.idf[column_ids]
        values /= np.sqrt(np.bincount(rows, weights=values * values, minlength=len(normalized)))[rows]
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=len(normalized)))))
        matrix = csr_matrix((values, column_ids, indptr), shape=(len(normalized), size))
        logits = matrix @ self._weights_by_feature + self.bias
        return 1.0 / (1.0 + np.exp(-logits))  # type: ignore[no-any-return]

    def _predict_one(self, text: str) -> np.ndarray:
        """The same scores for one text (an API request's usual load) from a dict of counts and a
        gather of its rows: the batch path's sort, offsets and sparse matrix cost three times as much."""
        counts = Counter(column for _, column in self._ngrams.iter(_padded_words(text)))
        if not counts:
            return 1.0 / (1.0 + np.exp(-self.bias))  # type: ignore[no-any-return]
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        values = tf * self.idf[columns]
        logits = values @ self._weights_by_feature[columns] / np.sqrt(values @ values) + self.bias
        return 1.0 / (1.0 + np.exp(-logits))  # type: ignore[no-any-return]

    def top_features(self, normalized: str, label: str, k: int = 3) -> list[str]:
        """The n-grams of one text that push ``label`` up most (tf-idf × weight): what a false
        alarm was made of, for the eval report."""
        column_of = self.labels.index(label)
        counts: dict[int, int] = {}
        for _, column in self._ngrams.iter(_padded_words(normalized)):
            counts[column] = counts.get(column, 0) + 1
        pushes = {c: (1.0 + np.log(n)) * self.idf[c] * self.weights[column_of, c] for c, n in counts.items()}
        ranked = sorted((c for c, push in pushes.items() if push > 0), key=lambda c: -pushes[c])
        return [self.vocabulary[c].strip() for c in ranked[:k]]

    @cached_property
    def _ngrams(self) -> ahocorasick.Automaton:
        """The vocabulary's n-grams, valued by column (none spans two words, so none spans the
        separator or two texts)."""
        automaton = ahocorasick.Automaton()
        for column, gram in enumerate(self.vocabulary):
            if _SEPARATOR not in gram:
                automaton.add_word(gram, column)
        automaton.make_automaton()
        return automaton

    @cached_property
    def _weights_by_feature(self) -> np.ndarray:
        """features × labels, contiguous: one text gathers a few dozen rows."""
        return np.ascontiguousarray(self.weights.T, dtype=np.float64)

    def save(self, path: Path) -> None:
        """Arrays and a JSON header in one compressed ``.npz``; weights as float16 (≈ 2 MB)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {"format": FORMAT, "labels": self.labels, "metrics": self.metrics}
        with path.open("wb") as file:
            np.savez_compressed(
                file,
                header=np.array(json.dumps(header, ensure_ascii=False)),
                vocabulary=np.array(self.vocabulary, dtype=str),
                idf=self.idf.astype(np.float64),
                weights=self.weights.astype(np.float16),
                bias=self.bias.astype(np.float32),
            )

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        """Refuses anything but plain arrays (``allow_pickle=False``) in the expected layout."""
        try:
            with np.load(path, allow_pickle=False) as arrays:
                header = json.loads(str(arrays["header"]))
                if header.get("format") != FORMAT:
                    raise ModelFileError(f"not a {FORMAT} model file")
                vocabulary, idf = arrays["vocabulary"].tolist(), arrays["idf"]
                weights, bias = arrays["weights"].astype(np.float32), arrays["bias"]
        except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"unreadable model file ({type(exc).__name__})") from None
        if weights.shape != (len(header["labels"]), len(vocabulary)) or idf.shape != (len(vocabulary),):
            raise ModelFileError("model file arrays do not fit together")
        return cls(vocabulary, idf, header["labels"], weights, bias, header.get("metrics", {}))

    @classmethod
    def from_vectorizer(
        cls, vectorizer: TfidfVectorizer, labels: list[str], weights: np.ndarray, bias: np.ndarray,
        metrics: dict[str, Any],
    ) -> TextClassifier:  # fmt: skip
        vocabulary = [""] * len(vectorizer.vocabulary_)
        for gram, column in vectorizer.vocabulary_.items():
            vocabulary[column] = gram
        return cls(vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), labels, weights, bias, metrics)


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, min_df=2, max_features=80000)


def _label_matrix(rows: Sequence[LabelledMessage]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Labels, targets (rows × labels) and which rows train which label (``LabelledMessage.heads``)."""
    trains = {lab: [r.heads is None or lab in r.heads for r in rows] for lab in [RISKY, *CATEGORIES]}
    labels = [RISKY] + [
        c
        for c in CATEGORIES
        if sum(c in r.categories and t for r, t in zip(rows, trains[c], strict=True)) >= MIN_POSITIVES
    ]
    y = np.array([[r.risky if lab == RISKY else lab in r.categories for lab in labels] for r in rows], dtype=bool)
    mask = np.array([trains[lab] for lab in labels], dtype=bool).T
    return labels, y, mask


def _fit_heads(matrix: Any, y: np.ndarray, mask: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """One logistic regression per label on the rows that train it (liblinear: 0.6 s for 14 labels
    on 3k messages, lbfgs took 3 s)."""
    weights, bias = [], []
    for column, rows in zip(y.T, mask.T, strict=True):
        model = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=1000)
        model.fit(matrix if rows.all() else matrix[rows], column[rows])
        weights.append(model.coef_[0])
        bias.append(model.intercept_[0])
    return np.asarray(weights, dtype=np.float32), np.asarray(bias, dtype=np.float32)


def train(rows: Sequence[LabelledMessage], c: float | None = None, folds: int = 3, seed: int = 13) -> TextClassifier:
    """Fits on all rows; ``metrics`` holds cross-validated F1 (risky and per category).

    ``c`` (inverse regularisation) is chosen by cross-validated risky F1 when not given. The
    vocabulary and the folds come from the rows that train every head (``_general``), so rows
    written for some heads only leave every other head exactly as it was without them."""
    texts = features([r.text for r in rows])
    labels, y, mask = _label_matrix(rows)
    general = _general(mask)
    candidates = [c] if c is not None else [1.0, 4.0, 16.0]
    scored = _cross_validate(texts, y, mask, labels, candidates, _folds(y, general, folds, seed))
    best = max(scored, key=lambda cand: scored[cand]["risky_f1"])
    vectorizer = _vectorizer().fit([t for t, g in zip(texts, general, strict=True) if g])
    weights, bias = _fit_heads(vectorizer.transform(texts), y, mask, best)
    shifts = np.asarray(scored[best].pop("cuts"), dtype=np.float32)
    metrics = {"rows": len(rows), "C": best, "folds": folds, **scored[best]}
    return TextClassifier.from_vectorizer(vectorizer, labels, weights, bias - shifts, metrics)


def _general(mask: np.ndarray) -> np.ndarray:
    """The rows that train every head (all rows when none does)."""
    every = np.asarray(mask.all(axis=1), dtype=bool)
    return every if every.any() else np.ones(len(mask), dtype=bool)


def _folds(
    y: np.ndarray, general: np.ndarray, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per fold: general training rows, all training rows, test rows. General rows are split (stratified
    by risky) as if they were all the data; the others are shuffled into the folds apart from them."""
    inside, outside = np.flatnonzero(general), np.flatnonzero(~general)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    chunks = np.array_split(np.random.default_rng(seed).permutation(outside), folds)
    split = []
    for (train_at, test_at), held in zip(splitter.split(inside, y[inside, 0]), chunks, strict=True):
        others = np.setdiff1d(outside, held)
        split.append(
            (inside[train_at], np.concatenate([inside[train_at], others]), np.concatenate([inside[test_at], held]))
        )
    return split


def _cross_validate(
    texts: list[str], y: np.ndarray, mask: np.ndarray, labels: list[str], candidates: list[float],
    folds: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> dict[float, dict[str, Any]]:  # fmt: skip
    """Out-of-fold logits for every candidate C; each fold is vectorised once."""
    predicted = {c: np.zeros(y.shape, dtype=np.float32) for c in candidates}
    for general_idx, train_idx, test_idx in folds:
        vectorizer = _vectorizer().fit([texts[i] for i in general_idx])
        train_matrix = vectorizer.transform([texts[i] for i in train_idx])
        test_matrix = vectorizer.transform([texts[i] for i in test_idx])
        for c in candidates:
            weights, bias = _fit_heads(train_matrix, y[train_idx], mask[train_idx], c)
            predicted[c][test_idx] = test_matrix @ weights.T + bias
    return {c: _f1s(y, predicted[c], mask, labels) for c in candidates}


#: Candidate decision cuts on the logit scale (probability 0.5 … 0.92): class-balanced
#: training already leans to the positive side, so a cut never makes a head more eager.
CUTS = np.linspace(0.0, 2.5, 11)


def _f1s(y: np.ndarray, logits: np.ndarray, mask: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """Per label, on the rows that train it: the logit cut with the best out-of-fold F1, and that F1."""
    cuts, per_label = [], {}
    for i, lab in enumerate(labels):
        rows = mask[:, i]
        f1s = [f1_score(y[rows, i], logits[rows, i] > cut, zero_division=0) for cut in CUTS]
        best = int(np.argmax(f1s))
        cuts.append(float(CUTS[best]))
        per_label[lab] = round(float(f1s[best]), 4)
    return {"risky_f1": per_label.pop(RISKY), "category_f1": per_label, "cuts": cuts}
