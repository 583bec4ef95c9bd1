"""The one module that imports ``openai``: any OpenAI-compatible server (OpenAI, DeepSeek,
DashScope/Qwen, Ollama, vLLM) selected by base URL, key and model in settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import openai

from assistant.settings import Settings


class LLMUnavailable(RuntimeError):
    """The configured model could not be reached or answered badly; callers fall back."""


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
    return openai.OpenAI(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key.get_secret_value() or "not-set",
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
    )
