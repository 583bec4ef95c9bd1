"""Offline per-message sentiment: chat rules first, then the shipped model, in batches."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from assistant.sentiment.classifier import SentimentModel
from assistant.sentiment.models import Label, Sentiment
from assistant.sentiment.rules import short_reply

BUILTIN_MODEL = Path(str(resources.files("assistant.sentiment") / "data" / "model.npz"))


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

    def classify_many(self, texts: Sequence[str]) -> list[Sentiment]:
        probs = self.model.probabilities(texts).tolist()
        labels = self.model.labels
        neg, pos = labels.index("negative"), labels.index("positive")
        out = []
        for text, row in zip(texts, probs, strict=True):
            if short_reply(text):
                out.append(Sentiment(label="neutral", score=0.0, confidence=1.0, engine="rule:short_reply"))
                continue
            best = max(range(len(row)), key=row.__getitem__)
            label: Label = labels[best]  # type: ignore[assignment]
            score, confidence = round(row[pos] - row[neg], 4), round(row[best], 4)
            # model_construct: the values come from a softmax, validation would only cost time
            out.append(Sentiment.model_construct(label=label, score=score, confidence=confidence, engine="offline"))
        return out
