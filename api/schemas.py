"""Request and response bodies of the HTTP API (separate from domain types on purpose)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.moderation.models import Verdict
from assistant.retrieval.models import SearchHit


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    vector_store: str
    vector_store_ok: bool
    llm: str
    communities: dict[str, int]


class SearchResponse(BaseModel):
    query: str
    community: str | None
    results: list[SearchHit]


class DocumentsUpload(BaseModel):
    """FAQ entries and scripts to add or update; items are validated one by one so every
    bad item is reported with its index, and nothing is ingested unless all are valid."""

    community: str | None = Field(None, description="Applied to every item that names none.")
    faqs: list[dict[str, Any]] = Field(
        default_factory=list, description="FAQ entries (id, question, similar, answer, tags)."
    )
    scripts: list[dict[str, Any]] = Field(
        default_factory=list, description="Scripts (id, kind, title, body, slots, tags)."
    )


class ItemError(BaseModel):
    kind: Literal["faq", "script"]
    index: int
    id: str | None
    reason: str


class ModerationRequest(BaseModel):
    """One message or a batch; every item gets its own verdict, in order."""

    input: str | list[str] = Field(description="A message, or a list of messages.")
    community: str | None = Field(None, description="Whose policy, keyword lists and trained model apply.")


class ModerationResponse(BaseModel):
    community: str | None
    results: list[Verdict]
