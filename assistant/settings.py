"""One validated settings object, read from ``SHEQUN_*`` environment variables (and ``.env``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything shequn can be configured with; the README's configuration table lists it."""

    model_config = SettingsConfigDict(env_prefix="SHEQUN_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".shequn"), description="Where Chroma, the BM25 index and reports live.")
    knowledge_dir: Path = Field(
        PROJECT_ROOT / "knowledge", description="Knowledge ingested by default (`shequn ingest`)."
    )
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Prompt templates, one folder per task.")
    chroma_url: str | None = Field(
        None, description="Chroma server (`http://host:port`, from `chroma run`); embedded if unset."
    )
    collection: str = Field("shequn", description="Prefix of the Chroma collections (one per community).")

    embeddings: Literal["local", "openai"] = Field(
        "local",
        description="`local`: offline hashing embedding; `openai`: `/v1/embeddings` of the OpenAI-compatible server.",
    )
    embedding_dim: int = Field(384, ge=64, le=4096, description="Dimension of the local hashing embedding.")
    embeddings_model: str = Field(
        "text-embedding-3-small", description="Embedding model name when `SHEQUN_EMBEDDINGS=openai`."
    )

    llm: Literal["offline", "openai"] = Field(
        "offline",
        description="`offline`: built-in engines only; `openai`: use the chat model below, falling back to offline.",
    )
    openai_base_url: str | None = Field(
        None, description="Base URL of any OpenAI-compatible server (OpenAI, DeepSeek, DashScope, Ollama, vLLM)."
    )
    openai_api_key: SecretStr = Field(SecretStr(""), description="API key for that server.")
    chat_model: str = Field("gpt-4o-mini", description="Chat model name on that server.")
    structured_output_method: Literal["json_schema", "function_calling", "json_mode"] = Field(
        "json_schema", description="How structured output is requested; local servers often need `json_mode`."
    )
    llm_timeout: float = Field(20.0, gt=0, description="Seconds before one model call is abandoned.")
    llm_retries: int = Field(2, ge=0, le=10, description="Retries of a failed model call before falling back.")
    llm_input_price: float | None = Field(
        None, ge=0, description="Price per million prompt tokens, for the cost in eval runs (unset: cost unknown)."
    )
    llm_output_price: float | None = Field(
        None, ge=0, description="Price per million completion tokens, for the cost in eval runs (unset: unknown)."
    )

    no_answer_threshold: float = Field(
        0.5, ge=0, le=1, description="Top-hit confidence below which the knowledge base is taken to have no answer."
    )
    default_community: str | None = Field(
        None, description="Community used when a request names none (default: search all)."
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL for logs, drafts and audit (default: SQLite `<data_dir>/shequn.db`)."
    )
    host: str = Field("127.0.0.1", description="API bind address.")
    port: int = Field(8000, description="API port.")
    max_batch: int = Field(1000, ge=1, description="Most items in one API batch or upload.")
    max_text_chars: int = Field(5000, ge=1, description="Longest message accepted for moderation.")
    max_request_chars: int = Field(
        1_000_000,
        ge=1,
        description="Most characters of text one request may ask to moderate (moderation takes ~3 µs a character).",
    )
    max_body_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="Largest request body; bigger ones get 413 before they are read."
    )
    webhook_secret: SecretStr = Field(
        SecretStr(""), description="Key of the HMAC-SHA256 signature on post webhooks (`X-Shequn-Signature`)."
    )

    api_keys: SecretStr = Field(
        SecretStr(""),
        description="API keys from settings: `KEY:ROLE[:COMMUNITY|COMMUNITY…],…` (roles admin, operator, bot, "
        "reviewer); more with `shequn keys create`. None at all: the API is open and binds to loopback only.",
    )
    rate_limit: str = Field(
        "6000/minute",
        description="Requests per key (`limits` syntax, e.g. `100/second;5000/hour`); empty: no limit.",
    )
    log_format: Literal["json", "text"] = Field("json", description="Server log lines: JSON objects or plain text.")

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        if value.strip():
            parse_many(value)  # ValueError names the bad item
        return value.strip()

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def lexical_path(self) -> Path:
        return self.data_dir / "lexical"

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'shequn.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead of patching this."""
    return Settings()
