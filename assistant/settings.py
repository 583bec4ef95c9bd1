"""One validated settings object, read from ``SHEQUN_*`` environment variables (and ``.env``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything shequn can be configured with; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="SHEQUN_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".shequn"), description="Where Chroma, the BM25 index and the database live.")
    knowledge_dir: Path = Field(PROJECT_ROOT / "knowledge", description="Default knowledge base to ingest.")
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Prompt templates, one folder per task.")
    chroma_url: str | None = Field(None, description="Chroma server URL (http://host:port); embedded if unset.")
    collection: str = Field("shequn_knowledge", description="Chroma collection name.")

    embeddings: Literal["local", "openai"] = "local"
    embedding_dim: int = Field(512, ge=64, le=4096, description="Dimension of the local hashing embedding.")
    embeddings_model: str = "text-embedding-3-small"

    llm: Literal["offline", "openai"] = "offline"
    openai_base_url: str | None = None
    openai_api_key: SecretStr = SecretStr("")
    chat_model: str = "gpt-4o-mini"
    structured_output_method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema"
    llm_timeout: float = Field(20.0, gt=0, description="Seconds before one LLM call is abandoned.")
    llm_retries: int = Field(2, ge=0, le=10)

    no_answer_threshold: float = Field(
        0.5, ge=0, le=1, description="Top-hit confidence below which search reports no answer."
    )

    default_community: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_text_chars: int = Field(5000, ge=1, description="Longest message or question accepted.")
    max_batch: int = Field(1000, ge=1, description="Most items in one API batch.")

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def lexical_path(self) -> Path:
        return self.data_dir / "lexical"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead of patching this."""
    return Settings()
