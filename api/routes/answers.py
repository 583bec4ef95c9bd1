from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from api import metrics
from api.deps import INLINE_CHARS, AnswererDep
from api.errors import ApiError
from api.schemas import AnswerRequest, json_response
from assistant.answering.models import AnswerResult

router = APIRouter(prefix="/v1", tags=["answers"])


@router.post("/answers", response_model=AnswerResult)
async def answer(body: AnswerRequest, answerer: AnswererDep) -> Response:
    """An answer grounded in the community's FAQ with citations, a clarifying question, or a
    handoff with its reason; risky questions are refused and flagged."""
    if not body.question.strip():
        raise ApiError(422, "invalid_request", "question must contain text")
    args = (body.question, body.community, body.history, body.member)
    # Offline and loaded, a short question is answered on the event loop (~1.5 ms): 32 requests
    # in worker threads contending for the GIL cost 0.9 ms of CPU more each. Its question-log
    # write (blocking I/O) still goes to a worker thread, before the reply.
    short = len(body.question) + sum(len(t.content) for t in body.history) <= INLINE_CHARS
    moderator = answerer.warm(body.community) if short else None
    if moderator is not None:
        result, log = answerer.answer_unlogged(*args, moderator=moderator)
        if log is not None:
            await run_in_threadpool(log)
    else:
        result = await run_in_threadpool(answerer.answer, *args)
    metrics.answer(result)
    return json_response(result)
