"""The seam the product sees: ``ChatModel.complete(messages, Schema) -> Schema``.

Providers live behind it (``openai_compat``); ``FakeChatModel`` ships with the product for
tests and offline evals. Any failure — transport, timeout, refusal, invalid or off-schema
output — surfaces as ``LLMUnavailable`` so callers fall back in one place."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from pydantic import BaseModel

T = TypeVar("T", bound=BaseModel)


class LLMUnavailable(RuntimeError):
    """The model could not give a valid answer; the caller falls back to its offline engine."""


class ChatModel(Protocol):
    @property
    def name(self) -> str: ...

    def complete(self, messages: list[dict[str, str]], schema: type[T]) -> T: ...


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
