"""Optional LLM second opinion for grey-zone messages only.

It may confirm a suspicion or veto one that rests on the classifier alone; it never overrides a
hard rule (a full-weight lexicon term or a pattern), and when it fails the offline verdict
stands unchanged (engine ``llm→offline``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.llm.base import ChatModel, LLMUnavailable
from assistant.moderation.models import Category, Check
from assistant.prompts import Prompt

NAME = "llm"
#: Below this the offline engine is sure it is fine; at or above HARD it needs no second opinion.
GREY_LOW, GREY_HIGH = 0.3, 0.85


class Opinion(BaseModel):
    """The model's structured answer."""

    decision: Literal["confirm", "veto"]
    categories: list[Category] = Field(default_factory=list)
    reason: str = ""


def is_grey(scores: dict[str, float], hard: set[str]) -> bool:
    """Worth asking: some category is uncertain and no hard rule already decided it."""
    return any(GREY_LOW <= s < GREY_HIGH and c not in hard for c, s in scores.items())


def adjudicate(model: ChatModel, prompt: Prompt, text: str, community: str | None,
               scores: dict[str, float], findings: str) -> Check:  # fmt: skip
    """A check whose scores are the model's view of the grey categories (1.0 confirmed, 0.0
    vetoed); on failure, a check with ``error`` and no scores."""
    grey = {c: s for c, s in scores.items() if s >= GREY_LOW}
    messages = prompt.render(community=community or "-", categories=", ".join(grey) or "-",
                             message=text, findings=findings or "-")  # fmt: skip
    try:
        opinion = model.complete(messages, Opinion)
    except LLMUnavailable as exc:
        return Check(name=NAME, kind="llm", flagged=False, error=str(exc))
    if opinion.decision == "veto":
        return Check(name=NAME, kind="llm", flagged=False, scores={c: 0.0 for c in grey})
    confirmed: set[str] = set(opinion.categories) or set(grey)
    return Check(name=NAME, kind="llm", flagged=True, scores={c: 1.0 for c in confirmed})
