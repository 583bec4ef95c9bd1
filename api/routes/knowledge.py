from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import ValidationError

from api import batch
from api.deps import CommunitiesDep, IndexDep, ServicesDep, SettingsDep
from api.errors import ApiError
from api.schemas import DocumentsUpload, ItemError, SearchResponse
from assistant import access
from assistant.knowledge.loader import LoadResult
from assistant.knowledge.models import FaqEntry, Script
from assistant.retrieval.models import IngestReport

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])
API_SOURCE = "api"


@router.get("/search", response_model=SearchResponse)
def search(
    index: IndexDep,
    communities: CommunitiesDep,
    q: Annotated[
        str, Query(min_length=1, max_length=2000, description="The member's question.", examples=["退款多久到账"])
    ],
    community: Annotated[str | None, Query(max_length=64, description="Community id; default: all.")] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    kind: Annotated[list[Literal["faq", "script"]] | None, Query(description="Only these kinds.")] = None,
) -> SearchResponse:
    """Hybrid (dense + BM25) search of a community's FAQ and scripts."""
    if not q.strip():
        raise ApiError(422, "invalid_request", "q must contain text")
    community = communities.resolve(community)
    return SearchResponse(query=q, community=community, results=index.search(q, community, k, kind))


@router.post("/documents", response_model=IngestReport)
def upload(body: DocumentsUpload, services: ServicesDep, settings: SettingsDep) -> IngestReport:
    """Add or update FAQ entries and scripts; 422 with per-item reasons if any item is invalid
    or risky to send to members (``allow_risky`` overrides the latter, with an audit line)."""
    total = len(body.faqs) + len(body.scripts)
    if total == 0:
        raise ApiError(422, "empty_upload", "send at least one item in faqs or scripts")
    if total > settings.max_batch:
        raise batch.too_many("faqs+scripts", settings.max_batch, total)
    loaded, errors, where = LoadResult(), [], {}
    body.community = body.community or access.default_community()
    for kind, model, rows in (("faq", FaqEntry, body.faqs), ("script", Script, body.scripts)):
        for i, raw in enumerate(rows):
            try:
                item = model.model_validate({"community": body.community, **raw} if body.community else raw)
            except ValidationError as exc:
                errors.append(ItemError(kind=kind, index=i, id=_id(raw), reason=_reason(exc)))  # type: ignore[arg-type]
                continue
            if item.id in loaded.sources:
                errors.append(ItemError(kind=kind, index=i, id=item.id, reason="duplicate id in this upload"))  # type: ignore[arg-type]
                continue
            loaded.add(item, API_SOURCE, None)
            where[item.id] = (kind, i)
    for community in {item.community for item in loaded.items}:
        access.check(community)  # a scoped key writes only its own communities' entries, never shared ones
    if not errors:
        risky = services.screen(loaded)
        if body.allow_risky:
            services.audit_risky(risky)
        errors = [
            ItemError(kind=where[i][0], index=where[i][1], id=i, reason=f"risky to send to members: {why}")  # type: ignore[arg-type]
            for i, why in risky.items()
            if not body.allow_risky
        ]
    if errors:
        raise ApiError(
            422,
            "invalid_items",
            f"{len(errors)} of {total} items are invalid; nothing was ingested",
            [e.model_dump() for e in errors],
        )
    return services.index.ingest(loaded)


def _id(raw: Any) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in exc.errors())
