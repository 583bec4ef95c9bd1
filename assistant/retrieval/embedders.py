"""Which embedder a setting or a persisted collection's config asks for."""

from __future__ import annotations

from collections.abc import Mapping

from assistant.retrieval.embedding import Embedder, HashingEmbedder
from assistant.settings import Settings, get_settings


def make_embedder(settings: Settings) -> Embedder:
    if settings.embeddings == "openai":
        from assistant.llm.openai_compat import OpenAIEmbedder

        return OpenAIEmbedder.from_settings(settings)
    return HashingEmbedder(dim=settings.embedding_dim)


def embedder_from_config(config: Mapping[str, object]) -> Embedder:
    """Rebuilds the embedder a collection was written with; secrets come from settings."""
    if config.get("kind") == "openai":
        from assistant.llm.openai_compat import OpenAIEmbedder

        return OpenAIEmbedder.from_settings(get_settings(), model=str(config["model"]))
    return HashingEmbedder(dim=int(str(config.get("dim", 384))))
