"""The optional LLM per-message engine: numbered batches of fenced messages, one structured answer
per batch. Short replies a chat rule already decides (收到, +1, 同问) never reach the model. A batch
whose answer is incomplete or contradictory, or whose call fails, is read by the offline engine
instead and labelled ``llm→offline``; ``Sentiment`` keeps its contract (no ``fallback_reason``),
the reason is logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from pydantic import BaseModel, Field

from assistant.llm import FALLBACK, LLM, with_fallback
from assistant.llm.base import ChatModel, LLMUnavailable
from assistant.prompts import Prompt
from assistant.sentiment.models import Label, Sentiment
from assistant.sentiment.offline import SHORT_REPLY, OfflineSentiment

#: Messages per model call: enough to amortise the prompt, few enough to answer them all reliably.
BATCH = 20
#: Characters of a message the model sees; the mood of chat is in its first lines.
MAX_CHARS = 500
#: Model calls in flight at once: a 1,000-message request is 50 calls, and an HTTP client waits.
PARALLEL = 4
log = logging.getLogger(__name__)


class Item(BaseModel):
    index: int
    label: Label
    score: float = Field(ge=-1, le=1, description="Polarity: negative below 0, positive above 0.")
    confidence: float = Field(ge=0, le=1, description="How sure the model is of the label.")


class Labels(BaseModel):
    """The model's structured answer: one item per message index."""

    items: list[Item]


def fenced(texts: Sequence[str]) -> str:
    """One numbered JSON string per line: a message's newlines cannot forge another message's number."""
    return "\n".join(f"[{i}] {json.dumps(t[:MAX_CHARS], ensure_ascii=False)}" for i, t in enumerate(texts))


def ask(model: ChatModel, prompt: Prompt, texts: Sequence[str]) -> list[Sentiment]:
    """One call for one batch; ``LLMUnavailable`` unless every index comes back exactly once with a
    score on the side of its label."""
    messages = prompt.render(count=str(len(texts)), last=str(len(texts) - 1), messages=fenced(texts))
    items = model.complete(messages, Labels).items
    indexes = sorted(item.index for item in items)
    if indexes != list(range(len(texts))):
        raise LLMUnavailable(f"expected indexes 0..{len(texts) - 1} once each, got {indexes[:50]}")
    for item in items:
        if (item.label == "positive" and item.score < 0) or (item.label == "negative" and item.score > 0):
            raise LLMUnavailable(f"item {item.index}: score {item.score} contradicts label {item.label}")
    by_index = {item.index: item for item in items}
    return [Sentiment(label=by_index[i].label, score=by_index[i].score, confidence=by_index[i].confidence,
                      engine=LLM) for i in range(len(texts))]  # fmt: skip


class LLMSentiment:
    """Per-message sentiment from a chat model, batch by batch, with the offline engine underneath.
    Meant for classify requests (≤ a few thousand messages), never for whole chat logs."""

    def __init__(self, model: ChatModel, prompt: Prompt, offline: OfflineSentiment, batch: int = BATCH,
                 parallel: int = PARALLEL) -> None:  # fmt: skip
        self.model, self.prompt, self.offline, self.batch, self.parallel = model, prompt, offline, batch, parallel

    def classify_many(self, texts: Sequence[str]) -> list[Sentiment]:
        offline = dict(zip(texts, self.offline.classify_many(texts), strict=True))
        # a repeated text is asked once; rule-decided short replies are not asked at all
        asked = [t for t, s in offline.items() if s.engine != SHORT_REPLY]
        chunks = [asked[start : start + self.batch] for start in range(0, len(asked), self.batch)]
        with ThreadPoolExecutor(max(1, min(self.parallel, len(chunks)))) as pool:
            read = list(pool.map(partial(self._read, offline), chunks))
        for chunk, results in zip(chunks, read, strict=True):
            offline.update(zip(chunk, results, strict=True))
        return [offline[t] for t in texts]

    def _read(self, offline: dict[str, Sentiment], chunk: list[str]) -> list[Sentiment]:
        done = with_fallback(partial(ask, self.model, self.prompt, chunk), partial(fallback, offline, chunk))
        if done.fallback_reason:
            log.warning("sentiment: %d messages read offline: %s", len(chunk), done.fallback_reason)
        return done.value


def fallback(offline: dict[str, Sentiment], chunk: list[str]) -> list[Sentiment]:
    return [offline[t].model_copy(update={"engine": FALLBACK}) for t in chunk]
