"""OpenAI-compatible ``/v1/chat/completions`` and ``/v1/models``: bot frameworks and chat
clients use shequn as if it were a model. The model name picks the task and community:
``shequn`` / ``shequn/<community>`` (or just ``<community>``) answer from the FAQ,
``shequn-moderation`` / ``shequn-moderation/<community>`` return a moderation verdict,
``shequn-draft/<community>`` drafts the post asked for and files it in the review queue.

Besides the OpenAI fields, every completion carries ``shequn``: the full answer result
(citations, handoff, moderation) or verdict, for clients that want more than text."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse

from api import batch, metrics
from api.deps import AnswererDep, DrafterDep
from api.errors import ApiError
from api.schemas import ChatRequest
from assistant import access
from assistant.answering.models import Turn
from assistant.answering.service import Answerer
from assistant.drafting.models import Draft
from assistant.drafting.request import parse_request
from assistant.ids import InvalidCommunity, UnknownCommunity

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
ANSWER, MODERATE, DRAFT = "shequn", "shequn-moderation", "shequn-draft"
#: Earlier turns kept for follow-up rewriting; older ones do not change the topic.
HISTORY_TURNS = 6
#: Characters per streamed delta.
CHUNK_CHARS = 12


@router.get("/models")
def models(answerer: AnswererDep) -> dict[str, Any]:
    communities = access.visible(answerer.communities.known())
    names = [ANSWER, MODERATE] + [f"{task}/{c}" for task in (ANSWER, MODERATE, DRAFT) for c in communities]
    return {"object": "list", "data": [{"id": n, "object": "model", "created": 0, "owned_by": "shequn"} for n in names]}


@router.post("/chat/completions", response_model=None)
def chat_completions(body: ChatRequest, answerer: AnswererDep, drafter: DrafterDep) -> JSONResponse | StreamingResponse:
    task, community = _resolve(body.model, answerer)
    last = body.messages[-1]
    if last.role != "user" or not last.text.strip():
        raise ApiError(422, "invalid_request", "the last message must be a user message with text")
    if len(last.text) > answerer.settings.max_text_chars:
        limit = answerer.settings.max_text_chars
        raise batch.over_limit(
            "text_too_long", f"messages[{len(body.messages) - 1}].content", limit, len(last.text), "characters"
        )
    if task == DRAFT:
        if community is None:
            raise ApiError(404, "model_not_found", f"name the community: {DRAFT}/<community>")
        draft = drafter.draft(parse_request(last.text, community, drafter.today(community)), actor="chat")
        content, extra = _draft_reply(draft), draft.model_dump(mode="json")
    elif task == MODERATE:
        verdict = answerer.moderation.moderator(community).moderate(last.text)
        metrics.verdicts([verdict])
        summary = {k: getattr(verdict, k) for k in ("risky", "categories", "severity", "action")}
        content, extra = json.dumps(summary, ensure_ascii=False), verdict.model_dump(mode="json")
    else:
        history = [
            Turn(role=m.role, content=m.text[: answerer.settings.max_text_chars])  # type: ignore[arg-type]
            for m in body.messages[:-1]
            if m.role in ("user", "assistant") and m.text.strip()
        ][-HISTORY_TURNS:]
        result = answerer.answer(last.text, community, history)
        metrics.answer(result)
        content, extra = result.answer, result.model_dump(mode="json")
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(answerer.now().timestamp())
    if body.stream:
        chunks = _stream(completion_id, created, body.model, content, extra)
        return StreamingResponse(chunks, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    prompt_chars = sum(len(m.text) for m in body.messages)
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            # Characters, not tokens: shequn does not tokenise like a model does.
            "usage": {
                "prompt_tokens": prompt_chars,
                "completion_tokens": len(content),
                "total_tokens": prompt_chars + len(content),
            },  # fmt: skip
            "shequn": extra,
        }
    )


def _resolve(model: str, answerer: Answerer) -> tuple[str, str | None]:
    task, _, community = model.partition("/")
    known = set(access.visible(answerer.communities.known()))
    if task not in (ANSWER, MODERATE, DRAFT) and not community and task in known:
        task, community = ANSWER, task
    unknown = ApiError(404, "model_not_found", f"unknown model {model[:80]!r}; GET /v1/models lists them")
    if task not in (ANSWER, MODERATE, DRAFT):
        raise unknown
    try:
        return task, answerer.communities.resolve(community or None)
    except (InvalidCommunity, UnknownCommunity) as exc:
        raise unknown from exc


def _draft_reply(draft: Draft) -> str:
    failed = [c.name for c in draft.checks if not c.passed]
    verdict = "检查通过" if not failed else f"未通过检查：{'、'.join(failed)}"
    return f"{draft.text}\n\n——\n草稿 #{draft.id}（{draft.date} {draft.time}，{verdict}，状态 {draft.status}）"


def _stream(completion_id: str, created: int, model: str, content: str, extra: dict[str, Any]) -> Iterator[str]:
    def event(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
        chunk = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more}  # fmt: skip
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for i in range(0, len(content), CHUNK_CHARS):
        yield event({"content": content[i : i + CHUNK_CHARS]})
    yield event({}, "stop", shequn=extra)
    yield "data: [DONE]\n\n"
