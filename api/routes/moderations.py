from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api import batch, metrics
from api.deps import INLINE_CHARS, services_of
from api.errors import ApiError
from api.schemas import ModerationRequest, ModerationResponse, json_response

router = APIRouter(prefix="/v1", tags=["moderation"])


@router.post("/moderations", response_model=ModerationResponse)
async def moderate(body: ModerationRequest, request: Request) -> Response:
    """Risk verdicts (categories, severity, action, evidence, checks) for one or many messages."""
    services = services_of(request)
    service, settings = services.moderation, services.settings
    texts = batch.messages(body.input, settings)
    total = sum(len(t) for t in texts)
    if total > settings.max_request_chars:
        raise batch.over_limit("too_much_text", "input", settings.max_request_chars, total, "characters in all")
    empty = [{"index": i} for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise ApiError(422, "empty_text", "messages must contain text", empty)
    moderator = service.ready(body.community) if total <= INLINE_CHARS else None
    if moderator is not None:
        community, results = moderator.community, service.run(moderator, texts, body.source)
    else:
        community = service.communities.resolve(body.community)
        results = await run_in_threadpool(service.moderate_many, texts, community, body.source)
    metrics.verdicts(results)
    return json_response(ModerationResponse(community=community, results=results))
