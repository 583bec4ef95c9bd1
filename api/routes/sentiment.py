"""Sentiment of messages and summaries of chat logs (inline messages or an uploaded file)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from api import batch
from api.deps import ServicesDep, SettingsDep
from api.errors import ApiError
from assistant.sentiment.importers import FORMATS, BadRow, UnknownFormat, read_messages
from assistant.sentiment.models import ChatMessage, Sentiment, Summary
from assistant.sentiment.service import EmptyLog, SentimentService

router = APIRouter(prefix="/v1/sentiment", tags=["sentiment"])
#: Most messages one summary request may carry (inline or uploaded).
MAX_MESSAGES = 100_000
MAX_UPLOAD_BYTES = 50_000_000


class ClassifyRequest(BaseModel):
    input: str | list[str] = Field(description="A message, or a list of messages.")


class ClassifyResponse(BaseModel):
    results: list[Sentiment]


class SummaryRequest(BaseModel):
    messages: list[ChatMessage] = Field(description="Chat-log rows (design.md §4), in time order.")
    staff: list[str] = Field(default_factory=list, description="Staff display names (never listed at risk).")
    response_minutes: float = Field(30, gt=0, description="Target for a staff reply to a complaint.")
    group: str | None = None
    community: str | None = Field(None, max_length=64, description="Whose moderation policy counts risky messages.")


async def _service(services: ServicesDep) -> SentimentService:
    return services.sentiment


ServiceDep = Annotated[SentimentService, Depends(_service)]


@router.post("/classify", response_model=ClassifyResponse)
def classify(body: ClassifyRequest, service: ServiceDep, settings: SettingsDep) -> ClassifyResponse:
    """Positive / neutral / negative and a polarity score for one or many messages."""
    texts = batch.messages(body.input, settings)
    return ClassifyResponse(results=service.classify_many(texts))


@router.post("/summaries", response_model=Summary)
async def summarize(request: Request, service: ServiceDep) -> Summary:
    """Summary of a chat log: inline JSON messages, or a raw file (JSONL, CSV, WeChat exports) + query options."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = SummaryRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            details = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
            raise ApiError(422, "invalid_request", "the request does not match the schema", details) from exc
        if len(body.messages) > MAX_MESSAGES:
            raise batch.too_many("messages", MAX_MESSAGES, len(body.messages))
        return await run_in_threadpool(
            _run, service, body.messages, body.staff, body.response_minutes, body.group, body.community, []
        )
    return await _uploaded(request, service)


async def _uploaded(request: Request, service: SentimentService) -> Summary:
    q = request.query_params
    fmt = q.get("format", "auto")
    if fmt not in FORMATS:
        raise ApiError(422, "unknown_format", f"format must be one of {', '.join(FORMATS)}")
    raw = await request.body()
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "too_large", f"uploads are limited to {MAX_UPLOAD_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(422, "not_utf8", "the file must be UTF-8 text") from exc
    skipped: list[BadRow] = []
    try:
        messages = list(read_messages(text.splitlines(keepends=True), fmt, skipped.append, q.get("group")))
    except UnknownFormat as exc:
        raise ApiError(422, "unknown_format", str(exc)) from exc
    if len(messages) > MAX_MESSAGES:
        raise batch.too_many("messages", MAX_MESSAGES, len(messages))
    try:
        minutes = float(q.get("response_minutes", 30))
    except ValueError as exc:
        raise ApiError(422, "invalid_request", "response_minutes must be a number") from exc
    staff = [s for s in q.get("staff", "").split(",") if s]
    return await run_in_threadpool(_run, service, messages, staff, minutes, q.get("group"), q.get("community"), skipped)


def _run(service: SentimentService, messages: list[ChatMessage], staff: list[str], minutes: float,
         group: str | None, community: str | None, skipped: list[BadRow]) -> Summary:  # fmt: skip
    try:
        summary = service.summarize(messages, staff, minutes, group=group, community=community)
    except EmptyLog as exc:
        raise ApiError(422, "empty_log", str(exc)) from exc
    bad: list[dict[str, Any]] = [{"line": b.line, "reason": b.reason} for b in skipped[:1000]]
    return summary.model_copy(update={"skipped": bad})
