"""Eval runs for reviewers: start a suite on shipped or uploaded cases (it runs in the
background), list runs, read one, open its HTML report."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.errors import ApiError
from evals.service import EvalRuns, InvalidCases, NotReady, UnknownRun

router = APIRouter(prefix="/v1/evals", tags=["evals"])


async def _runs(request: Request) -> EvalRuns:
    """One run queue per app, built on first use from the app's services."""
    state = request.app.state
    if getattr(state, "eval_runs", None) is None:
        state.eval_runs = EvalRuns(state.services)
    return state.eval_runs  # type: ignore[no-any-return]


RunsDep = Annotated[EvalRuns, Depends(_runs)]


class EvalRunCreate(BaseModel):
    suite: str = Field(max_length=64, description="A registered suite: retrieval, answers, moderation, evasion.")
    cases: list[dict[str, Any]] | None = Field(
        None, max_length=5000, description="Cases in the suite's format; the shipped dataset when absent."
    )
    baseline: str | None = Field(None, max_length=64, description="Id of an earlier run to compare with.")


class EvalRunPublic(BaseModel):
    id: str
    suite: str
    status: Literal["queued", "running", "done", "failed", "interrupted"]
    created: str
    uploaded: bool
    baseline: str | None = None
    headline: dict[str, Any] | None = Field(None, description="Headline metrics with 95% intervals, once done.")
    error: str | None = None
    run: dict[str, Any] | None = Field(None, description="run.json: metrics, comparison and provenance, once done.")


def _unknown(run_id: str) -> ApiError:
    return ApiError(404, "unknown_run", f"no eval run {run_id[:64]!r}")


@router.post("/runs", response_model=EvalRunPublic, status_code=202)
def start_run(body: EvalRunCreate, runs: RunsDep) -> dict[str, Any]:
    """Queue a suite on its shipped data or the uploaded cases; poll the run for its result."""
    try:
        return runs.start(body.suite, body.cases, body.baseline)
    except InvalidCases as exc:
        raise ApiError(422, "invalid_cases", str(exc), exc.details) from exc
    except UnknownRun as exc:
        raise _unknown(str(exc.args[0])) from exc
    except ValueError as exc:
        raise ApiError(422, "unknown_suite", str(exc)) from exc


@router.get("/runs", response_model=list[EvalRunPublic])
def list_runs(runs: RunsDep) -> list[dict[str, Any]]:
    """Every eval run, newest first, with its status and headline metrics."""
    return runs.list()


@router.get("/runs/{run_id}", response_model=EvalRunPublic)
def get_run(run_id: str, runs: RunsDep) -> dict[str, Any]:
    """One run: status, and once done its run.json (metrics, comparison, provenance)."""
    try:
        return runs.status(run_id)
    except UnknownRun as exc:
        raise _unknown(run_id) from exc


@router.get("/runs/{run_id}/report", response_class=HTMLResponse)
def get_report(run_id: str, runs: RunsDep) -> HTMLResponse:
    """The run's self-contained HTML report (409 until the run is done)."""
    try:
        return HTMLResponse(runs.report(run_id))
    except UnknownRun as exc:
        raise _unknown(run_id) from exc
    except NotReady as exc:
        raise ApiError(409, "not_ready", str(exc)) from exc
