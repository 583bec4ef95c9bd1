"""The one module that imports ``openai``: any OpenAI-compatible server (OpenAI, DeepSeek,
DashScope/Qwen, Ollama, vLLM) selected by base URL, key and model in settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import openai
from pydantic import ValidationError

from assistant.llm import check_allowed
from assistant.llm.base import LLMUnavailable, T, Usage
from assistant.settings import Settings


@dataclass
class OpenAIChatModel:
    """Structured output from ``/v1/chat/completions``, validated by the pydantic schema.

    ``method`` follows the server: ``json_schema`` (OpenAI, strict), ``json_mode`` (most
    local servers) or ``function_calling``. Timeouts and retries come from settings."""

    client: openai.OpenAI
    model: str
    method: str = "json_schema"
    #: Tokens of every response (a failed call that got no response used none).
    usage: Usage = field(default_factory=Usage)

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIChatModel:
        return cls(client=_client(settings), model=settings.chat_model, method=settings.structured_output_method)

    @property
    def name(self) -> str:
        return self.model

    def complete(self, messages: list[dict[str, str]], schema: type[T]) -> T:
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=0,
                **self._format(schema),  # type: ignore[arg-type]
            )
        except openai.OpenAIError as exc:
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc
        tokens = response.usage
        self.usage.add(tokens.prompt_tokens if tokens else None, tokens.completion_tokens if tokens else None)
        if not response.choices:
            raise LLMUnavailable("empty response")
        message = response.choices[0].message
        raw = message.tool_calls[0].function.arguments if message.tool_calls else message.content  # type: ignore[union-attr]
        try:
            return schema.model_validate_json(raw or "")
        except ValidationError as exc:
            raise LLMUnavailable(f"output does not match {schema.__name__}: {str(exc).splitlines()[0]}") from exc

    def _format(self, schema: type[T]) -> dict[str, Any]:
        json_schema = schema.model_json_schema()
        if self.method == "json_mode":
            return {"response_format": {"type": "json_object"}}
        if self.method == "function_calling":
            tool = {"type": "function", "function": {"name": schema.__name__, "parameters": json_schema}}
            return {"tools": [tool], "tool_choice": {"type": "function", "function": {"name": schema.__name__}}}
        return {
            "response_format": {"type": "json_schema", "json_schema": {"name": schema.__name__, "schema": json_schema}}
        }


@dataclass
class OpenAIEmbedder:
    """``/v1/embeddings`` of an OpenAI-compatible server; vectors are L2-normalised here
    because not every server normalises them."""

    client: openai.OpenAI
    model: str
    batch_size: int = 256

    @classmethod
    def from_settings(cls, settings: Settings, model: str | None = None) -> OpenAIEmbedder:
        return cls(client=_client(settings), model=model or settings.embeddings_model)

    @property
    def config(self) -> dict[str, object]:
        return {"kind": "openai", "model": self.model}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            try:
                resp = self.client.embeddings.create(model=self.model, input=list(texts[i : i + self.batch_size]))
            except openai.OpenAIError as exc:
                raise LLMUnavailable(f"embeddings endpoint failed: {exc}") from exc
            rows.extend(item.embedding for item in sorted(resp.data, key=lambda d: d.index))
        matrix = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return matrix / norms


def _client(settings: Settings) -> openai.OpenAI:
    check_allowed(settings.openai_base_url)
    return openai.OpenAI(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key.get_secret_value() or "not-set",
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
    )
