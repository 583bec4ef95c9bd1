"""The seam to OpenAI-compatible models: ``make_chat_model`` picks the provider from settings
(``openai_compat`` is the only module importing an SDK) and ``with_fallback`` runs a task's LLM
engine, falling back to its offline engine with the result labelled. Every task (answering,
moderation, drafting, sentiment) goes through these two, so none tests ``settings.llm`` itself."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from assistant.llm.base import ChatModel, LLMUnavailable
from assistant.settings import Settings

R = TypeVar("R")
OFFLINE, LLM, FALLBACK = "offline", "llm", "llm→offline"
#: Set by the test suite: building a real client then raises unless a test opts in with a stub.
BLOCK_ENV = "SHEQUN_BLOCK_REAL_LLM"


class RealModelBlocked(RuntimeError):
    """A test asked for a real model without opting in (style.md: tests never reach a model)."""


def make_chat_model(settings: Settings) -> ChatModel | None:
    """The configured chat model, or None when shequn runs on its offline engines."""
    if settings.llm != "openai":
        return None
    from assistant.llm.openai_compat import OpenAIChatModel

    return OpenAIChatModel.from_settings(settings)


def check_allowed(base_url: str | None) -> None:
    """Raises ``RealModelBlocked`` when the test switch is on and ``base_url`` is not a stub
    on this machine; every client (chat and embeddings) is built through this check."""
    if os.environ.get(BLOCK_ENV) and urlsplit(base_url or "").hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise RealModelBlocked(f"a test tried to reach {base_url!r}; serve a stub on 127.0.0.1 instead")


@dataclass(frozen=True)
class Engined(Generic[R]):
    """A task's result with the engine that produced it and, after a fallback, why."""

    value: R
    engine: str
    fallback_reason: str | None = None


def with_fallback(llm_engine: Callable[[], R] | None, offline_engine: Callable[[], R]) -> Engined[R]:
    """The LLM engine's result when there is one and it succeeds (it raises ``LLMUnavailable``
    on any failure, invalid output included); otherwise the offline engine's, labelled."""
    if llm_engine is None:
        return Engined(offline_engine(), OFFLINE)
    try:
        return Engined(llm_engine(), LLM)
    except LLMUnavailable as exc:
        return Engined(offline_engine(), FALLBACK, str(exc))


__all__ = ["FALLBACK", "LLM", "OFFLINE", "ChatModel", "Engined", "LLMUnavailable", "make_chat_model", "with_fallback"]
