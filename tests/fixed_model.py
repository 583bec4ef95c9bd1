"""A classifier stand-in whose heads give fixed scores, for testing what the engine and the
answering pipeline do with a given model opinion."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.moderation.classifier import TextClassifier


class FixedScores(TextClassifier):
    """Every text gets ``risky`` from the risky head and ``fraud`` from the fraud head."""

    def __init__(self, risky: float, fraud: float) -> None:
        super().__init__(vocabulary=[], idf=np.zeros(0), labels=["risky", "fraud", "abuse"], weights=np.zeros((3, 0)),
                         bias=np.zeros(3))  # fmt: skip
        self.row = [risky, fraud, 0.01]

    def predict_normalized(self, normalized: Sequence[str]) -> np.ndarray:
        return np.array([self.row for _ in normalized])

    def top_features(self, normalized: str, label: str, k: int = 3) -> list[str]:
        return []  # no vocabulary: fixed scores come from no n-gram
