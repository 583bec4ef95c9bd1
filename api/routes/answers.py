from __future__ import annotations

from fastapi import APIRouter

from api import metrics
from api.deps import AnswererDep
from api.errors import ApiError
from api.schemas import AnswerRequest
from assistant.answering.models import AnswerResult

router = APIRouter(prefix="/v1", tags=["answers"])


@router.post("/answers", response_model=AnswerResult)
def answer(body: AnswerRequest, answerer: AnswererDep) -> AnswerResult:
    """An answer grounded in the community's FAQ with citations, a clarifying question, or a
    handoff with its reason; risky questions are refused and flagged."""
    if not body.question.strip():
        raise ApiError(422, "invalid_request", "question must contain text")
    result = answerer.answer(body.question, body.community, body.history, body.member)
    metrics.answer(result)
    return result
