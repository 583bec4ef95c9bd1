"""Prometheus metrics (``GET /metrics``, open like ``/healthz``): HTTP requests and latency by
route template and status, and what the engines decided. Series live in the process's default
registry, the one ``prometheus-client`` and its exporters expect."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from assistant.answering.models import AnswerResult
from assistant.moderation.models import Verdict

REQUEST_SECONDS = Histogram(
    "shequn_http_request_duration_seconds",
    "HTTP requests by method, route template and status; _count is the number of requests.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IN_PROGRESS = Gauge("shequn_http_requests_in_progress", "Requests being served now (the server's queue).")
DENIED = Counter("shequn_http_denied_total", "Requests refused before any route ran, by status.", ["status"])
ENGINE = Counter(
    "shequn_engine_results_total", "Results by task and the engine that produced them.", ["task", "engine"]
)
FALLBACKS = Counter("shequn_llm_fallbacks_total", "Times the LLM failed and the offline engine answered.", ["task"])
VERDICTS = Counter(
    "shequn_moderation_verdicts_total",
    "Moderation verdicts by category (none when clean) and suggested action.",
    ["category", "action"],
)
ANSWERS = Counter("shequn_answers_total", "Answers by decision (answer, clarify, handoff, refuse).", ["decision"])

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics() -> Response:
    """Prometheus text exposition of every shequn series."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _engine(task: str, engine: str) -> None:
    ENGINE.labels(task, engine).inc()
    if engine.endswith("→offline"):
        FALLBACKS.labels(task).inc()


def verdicts(results: Iterable[Verdict]) -> None:
    for verdict in results:
        _engine("moderation", verdict.engine)
        categories: list[str] = list(verdict.categories) or ["none"]
        for category in categories:
            VERDICTS.labels(category, verdict.action).inc()


def answer(result: AnswerResult) -> None:
    _engine("answer", result.engine)
    ANSWERS.labels(result.decision).inc()
