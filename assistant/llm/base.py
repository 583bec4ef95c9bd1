"""The seam the product sees: ``ChatModel.complete(messages, Schema) -> Schema``.

Providers live behind it (``openai_compat``); ``FakeChatModel`` ships with the product for
tests and offline evals. Any failure — transport, timeout, refusal, invalid or off-schema
output — surfaces as ``LLMUnavailable`` so callers fall back in one place."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

T = TypeVar("T", bound=BaseModel)


class LLMUnavailable(RuntimeError):
    """The model could not give a valid answer; the caller falls back to its offline engine."""


class ChatModel(Protocol):
    @property
    def name(self) -> str: ...

    def complete(self, messages: list[dict[str, str]], schema: type[T]) -> T: ...


@dataclass
class Usage:
    """Tokens a model reported (``usage`` of an OpenAI-compatible response), summed over the
    calls it answered. A call whose tokens are unknown (a server that reports none, a recording
    made before usage was recorded) is counted apart: a sum over it is unknown, not zero."""

    calls: int = 0
    unknown_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, prompt_tokens: int | None, completion_tokens: int | None) -> None:
        with self._lock:
            self.calls += 1
            if prompt_tokens is None or completion_tokens is None:
                self.unknown_calls += 1
            else:
                self.prompt_tokens += prompt_tokens
                self.completion_tokens += completion_tokens

    def copy(self) -> Usage:
        with self._lock:
            return Usage(self.calls, self.unknown_calls, self.prompt_tokens, self.completion_tokens)

    def since(self, before: Usage) -> dict[str, Any]:
        """What was used after ``before`` (a ``copy()``): calls, and the token sums or None."""
        now = self.copy()
        known = now.unknown_calls == before.unknown_calls
        prompt, completion = now.prompt_tokens - before.prompt_tokens, now.completion_tokens - before.completion_tokens
        return {"calls": now.calls - before.calls, "prompt_tokens": prompt if known else None,
                "completion_tokens": completion if known else None,
                "total_tokens": prompt + completion if known else None}  # fmt: skip


def usage_of(model: object) -> Usage | None:
    """The model's token counter, when it keeps one (the OpenAI-compatible client and the
    recording/replaying wrappers do; a fake does not)."""
    usage = getattr(model, "usage", None)
    return usage if isinstance(usage, Usage) else None


@dataclass
class FakeChatModel:
    """Answers from a queue (pydantic objects, dicts, or exceptions to raise) or a function."""

    outputs: Iterable[object] = ()
    respond: Callable[[list[dict[str, str]]], object] | None = None
    name: str = "fake"
    calls: list[list[dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue = deque(self.outputs)

    def complete(self, messages: list[dict[str, str]], schema: type[T]) -> T:
        self.calls.append(messages)
        output = self.respond(messages) if self.respond else (self._queue.popleft() if self._queue else None)
        if output is None:
            raise LLMUnavailable("fake model has no output queued")
        if isinstance(output, Exception):
            raise output
        return schema.model_validate(output.model_dump() if isinstance(output, BaseModel) else output)
