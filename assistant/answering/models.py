"""What a bot sends (a question with its conversation) and what it gets back."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.moderation.models import Verdict

Decision = Literal["answer", "clarify", "handoff", "refuse"]


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=5000)


class Citation(BaseModel):
    id: str
    kind: Literal["faq", "script"]
    title: str
    score: float = Field(description="Confidence (0–1) that this entry answers the question.")


class Handoff(BaseModel):
    needed: bool
    reason: str | None = Field(None, description="Why a person should take over (None when answered).")


class AnswerResult(BaseModel):
    """``decision`` says what happened: answered, asked which entry was meant, handed to a
    person, or refused a risky question. ``answer`` is the text to post in every case."""

    decision: Decision
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    confidence: float = Field(description="0–1 confidence in the top citation (0 when none).")
    handoff: Handoff
    engine: str = Field(description="offline, llm, or llm→offline when the model failed and we fell back.")
    prompt_version: str | None = Field(None, description="task@version of the prompt used, if any.")
    query: str = Field(description="What was searched: the question, rewritten with the conversation if needed.")
    moderation: Verdict = Field(description="Verdict on the question.")
    fallback_reason: str | None = Field(None, description="Why the LLM engine's output was not used.")
