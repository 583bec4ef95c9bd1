from __future__ import annotations

from fastapi import APIRouter

from api import batch, metrics
from api.deps import ModerationDep, SettingsDep
from api.errors import ApiError
from api.schemas import ModerationRequest, ModerationResponse

router = APIRouter(prefix="/v1", tags=["moderation"])


@router.post("/moderations", response_model=ModerationResponse)
def moderate(body: ModerationRequest, service: ModerationDep, settings: SettingsDep) -> ModerationResponse:
    """Risk verdicts (categories, severity, action, evidence, checks) for one or many messages."""
    texts = batch.messages(body.input, settings)
    total = sum(len(t) for t in texts)
    if total > settings.max_request_chars:
        raise batch.over_limit("too_much_text", "input", settings.max_request_chars, total, "characters in all")
    empty = [{"index": i} for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise ApiError(422, "empty_text", "messages must contain text", empty)
    results = service.moderate_many(texts, body.community, body.source)
    metrics.verdicts(results)
    return ModerationResponse(community=service.communities.resolve(body.community), results=results)
