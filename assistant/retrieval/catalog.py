"""What is indexed, per community: the records behind search results and incremental ingest."""

from __future__ import annotations

import json
import marshal
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from assistant.knowledge.models import FaqEntry, KnowledgeItem


class Record(BaseModel):
    """An indexed entry: its display fields, its hash and where it came from."""

    id: str
    kind: Literal["faq", "script"]
    community: str | None
    title: str
    snippet: str
    hash: str
    source: str
    phrasings: list[str] = Field(description="Texts a member's question is matched against.")
    body: str = Field(description="Answer or script body: matched lexically, shown as snippet.")
    words: list[str] = Field(default_factory=list, description="Canonical words of all texts (coverage).")

    @classmethod
    def from_item(cls, item: KnowledgeItem, source: str, words: list[str]) -> Record:
        kind: Literal["faq", "script"]
        if isinstance(item, FaqEntry):
            kind, title, phrasings, body = "faq", item.question, [item.question, *item.similar], item.answer
        else:
            kind, title, body = "script", item.title, item.body
            phrasings = [item.title, " ".join([item.kind.replace("_", " "), *item.tags])]
        return cls(
            id=item.id,
            kind=kind,
            community=item.community,
            title=title,
            snippet=_snippet(body),
            hash=item.content_hash(),
            source=source,
            phrasings=phrasings,
            body=body,
            words=words,
        )

    def texts(self) -> list[str]:
        return [*self.phrasings, self.body]


def _snippet(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def load_catalog(path: Path) -> dict[str, Record]:
    if not path.exists():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {r["id"]: Record.model_validate(r) for r in raw}


def save_catalog(path: Path, records: dict[str, Record]) -> None:
    """Atomic: a reader never sees half a catalog."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    payload = [r.model_dump() for r in records.values()]
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def load_terms(path: Path) -> dict[str, list[str]]:
    """Each entry's lexical terms, kept so BM25 can be rebuilt without segmenting again."""
    try:
        return marshal.loads(path.read_bytes())  # type: ignore[no-any-return]
    except (OSError, ValueError, EOFError, TypeError):
        return {}


def save_terms(path: Path, terms: dict[str, list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(marshal.dumps(terms))
    os.replace(tmp, path)
