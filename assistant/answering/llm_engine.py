"""The LLM engine: writes the answer from retrieved passages only, and every claim must cite
a passage it was given. Anything else — failure, timeout, invalid output, citations to ids it
was not shown, an answer that fails moderation — is reported and the offline engine answers."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from assistant.answering.models import Turn
from assistant.llm.base import ChatModel, LLMUnavailable
from assistant.prompts import Prompt
from assistant.retrieval.catalog import Record


class Draft(BaseModel):
    """The model's structured answer."""

    answer: str
    citations: list[str] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1)
    needs_handoff: bool
    reason: str = ""


class Rewritten(BaseModel):
    query: str = Field(min_length=1, max_length=500)


def render_history(history: Sequence[Turn]) -> str:
    names = {"user": "成员", "assistant": "助手"}
    return "\n".join(f"{names[t.role]}：{t.content}" for t in history) or "（无）"


def render_passages(records: Sequence[Record]) -> str:
    return "\n\n".join(f"[id: {r.id}]\n问题：{r.title}\n答案：{r.body}" for r in records)


def draft_answer(
    model: ChatModel, prompt: Prompt, community: str | None, question: str, history: Sequence[Turn],
    records: Sequence[Record],
) -> Draft:  # fmt: skip
    """The model's draft with citations restricted to the passages shown; raises
    ``LLMUnavailable`` when it cannot be used (an uncited answer counts as unusable)."""
    messages = prompt.render(
        community=community or "-",
        history=render_history(history),
        question=question,
        passages=render_passages(records),
    )
    draft = model.complete(messages, Draft)
    shown = {r.id for r in records}
    cited = [c for c in dict.fromkeys(draft.citations) if c in shown]
    if not draft.needs_handoff:
        if not draft.answer.strip():
            raise LLMUnavailable("the model returned an empty answer")
        if not cited:
            wrong = sorted(set(draft.citations) - shown)
            raise LLMUnavailable(f"answer cites no retrieved entry (cited {wrong or 'nothing'})")
    return draft.model_copy(update={"citations": cited})


def rewrite_query(model: ChatModel, prompt: Prompt, question: str, history: Sequence[Turn]) -> str:
    return model.complete(prompt.render(history=render_history(history), question=question), Rewritten).query
