from __future__ import annotations

from fastapi import APIRouter

from api.deps import ModerationDep, SettingsDep
from api.errors import ApiError
from api.schemas import ModerationRequest, ModerationResponse

router = APIRouter(prefix="/v1", tags=["moderation"])


@router.post("/moderations", response_model=ModerationResponse)
def moderate(body: ModerationRequest, service: ModerationDep, settings: SettingsDep) -> ModerationResponse:
    """Risk verdicts (categories, severity, action, evidence, checks) for one or many messages."""
    texts = [body.input] if isinstance(body.input, str) else body.input
    if not texts:
        raise ApiError(422, "empty_input", "input must be a message or a non-empty list")
    if len(texts) > settings.max_batch:
        raise ApiError(413, "too_many_items", f"at most {settings.max_batch} messages per request, got {len(texts)}")
    too_long = [{"index": i, "length": len(t)} for i, t in enumerate(texts) if len(t) > settings.max_text_chars]
    if too_long:
        raise ApiError(413, "text_too_long", f"messages are limited to {settings.max_text_chars} characters", too_long)
    total = sum(len(t) for t in texts)
    if total > settings.max_request_chars:
        raise ApiError(
            413, "too_much_text", f"at most {settings.max_request_chars} characters per request, got {total}"
        )
    empty = [{"index": i} for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise ApiError(422, "empty_text", "messages must contain text", empty)
    moderator = service.moderator(body.community)
    return ModerationResponse(community=moderator.community, results=moderator.moderate_many(texts))
