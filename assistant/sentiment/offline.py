"""Offline per-message sentiment: chat rules first, then the shipped model, in batches."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from assistant.sentiment.classifier import SentimentModel
from assistant.sentiment.models import Label, Sentiment
from assistant.sentiment.rules import short_reply

BUILTIN_MODEL = Path(str(resources.files("assistant.sentiment") / "data" / "model.npz"))
SHORT_REPLY = "rule:short_reply"


@cache
def builtin_model() -> SentimentModel:
    return SentimentModel.load(BUILTIN_MODEL)


class OfflineSentiment:
    """Thread-safe; ``classify_many`` is the fast path (one matrix product per batch)."""

    name = "offline"

    def __init__(self, model: SentimentModel | None = None) -> None:
        self.model = model or builtin_model()

    def classify(self, text: str) -> Sentiment:
        return self.classify_many([text])[0]

    def moods(self, texts: Sequence[str]) -> tuple[list[Label], list[float], list[float], list[bool]]:
        """Label, polarity score, confidence and whether a short-reply rule decided, as plain
        lists (a summary reads hundreds of thousands of messages: no object per message)."""
        labels = self.model.labels
        probs = self.model.probabilities(texts)
        best = probs.argmax(axis=1)
        scores = np.round(probs[:, labels.index("positive")] - probs[:, labels.index("negative")], 4).tolist()
        confidence = np.round(probs[np.arange(len(texts)), best], 4).tolist()
        names: list[Label] = [labels[i] for i in best.tolist()]  # type: ignore[misc]
        rule = [short_reply(t) for t in texts]
        for i in (i for i, hit in enumerate(rule) if hit):
            names[i], scores[i], confidence[i] = "neutral", 0.0, 1.0
        return names, scores, confidence, rule

    def classify_many(self, texts: Sequence[str]) -> list[Sentiment]:
        # model_construct: the values come from a softmax, validation would only cost time
        return [Sentiment.model_construct(label=label, score=score, confidence=conf,
                                          engine=SHORT_REPLY if rule else self.name)
                for label, score, conf, rule in zip(*self.moods(texts), strict=True)]  # fmt: skip
