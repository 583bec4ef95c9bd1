"""Typed results of ingest and search, shared by the CLI, the API and the evals."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SearchHit(BaseModel):
    """One knowledge entry found for a query."""

    id: str
    kind: Literal["faq", "script"]
    community: str | None = Field(description="None for entries shared by every community.")
    title: str
    snippet: str
    score: float = Field(description="Fused score: 0.3 · cosine + saturated BM25; orders the list.")
    confidence: float = Field(description="0–1: how likely this entry answers the query.")
    dense: float | None = Field(None, description="Cosine similarity from the vector index.")
    lexical: float | None = Field(None, description="BM25 score of the entry's best phrasing.")
    coverage: float = Field(0.0, description="Share of the query's word weight the entry contains.")
    retrievers: list[str] = Field(description="Which retrievers found it: dense, lexical.")


class IngestError(BaseModel):
    file: str
    line: int | None
    reason: str


class IngestReport(BaseModel):
    """What an ingest changed; ``errors`` lists every file or line that was skipped."""

    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = Field(default_factory=list)
    errors: list[IngestError] = Field(default_factory=list)
    communities: dict[str, int] = Field(default_factory=dict, description="Entries per community after ingest.")
    files: int = 0
    seconds: float = 0.0
