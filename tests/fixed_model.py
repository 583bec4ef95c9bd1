"""A classifier stand-in whose heads give fixed scores, for testing what the engine and the
answering pipeline do with a given model opinion."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.moderation.classifier import TextClassifier


class FixedScores(TextClassifier):
    """Every text gets ``risky`` from the risky head, ``fraud`` from the fraud head and each other
    category named from its own (abuse 0.01 unless named)."""

    def __init__(self, risky: float, fraud: float = 0.01, **others: float) -> None:
        heads = {"fraud": fraud, "abuse": 0.01, **others}
        size = len(heads) + 1
        super().__init__(vocabulary=[], idf=np.zeros(0), labels=["risky", *heads], weights=np.zeros((size, 0)),
                         bias=np.zeros(size))  # fmt: skip
        self.row = [risky, *heads.values()]

    def predict_normalized(self, normalized: Sequence[str]) -> np.ndarray:
        return np.array([self.row for _ in normalized])

    def top_features(self, normalized: str, label: str, k: int = 3) -> list[str]:
        return []  # no vocabulary: fixed scores come from no n-gram
