"""Eval runs over HTTP for reviewers: start (background), poll, list, read, open the report;
bad suites, cases and ids get the one error shape; eval questions stay out of the question log."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.knowledge.loader import load_knowledge
from assistant.services import Services
from evals.answers import DEFAULT_DATA as ANSWERS
from evals.retrieval import DEFAULT_DATA as RETRIEVAL
from tests.conftest import SAMPLE_KNOWLEDGE, make_settings


def _first(path: Path, n: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:n]]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Services]]:
    services = Services(make_settings(tmp_path_factory.mktemp("evals-api")))
    services.ingest(load_knowledge(SAMPLE_KNOWLEDGE))
    with TestClient(create_app(services=services)) as client:
        yield client, services


def _finished(client: TestClient, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = client.get(f"/v1/evals/runs/{run_id}").json()
        if run["status"] not in ("queued", "running"):
            return run  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def test_a_run_on_uploaded_cases_then_against_it_as_baseline(served: tuple[TestClient, Services]) -> None:
    client, _ = served
    cases = _first(RETRIEVAL, 12)
    started = client.post("/v1/evals/runs", json={"suite": "retrieval", "cases": cases})
    assert started.status_code == 202 and started.json()["status"] in ("queued", "running")
    first = _finished(client, started.json()["id"])
    assert first["status"] == "done", first.get("error")
    assert first["run"]["suite"] == "retrieval" and first["run"]["metrics"]["cases"] == 12
    assert set(first["headline"]) == {"recall@1", "recall@5", "mrr"}

    again = client.post("/v1/evals/runs", json={"suite": "retrieval", "cases": cases, "baseline": first["id"]})
    second = _finished(client, again.json()["id"])
    assert second["run"]["comparison"]["newly_failing"] == [] and second["run"]["comparison"]["shared_cases"] == 12

    listed = client.get("/v1/evals/runs").json()
    assert [r["id"] for r in listed[:2]] == [second["id"], first["id"]] and listed[0]["run"] is None
    report = client.get(f"/v1/evals/runs/{first['id']}/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "Retrieval eval" in report.text and str(first["headline"]["recall@1"]["value"]) in report.text


def test_answers_runs_do_not_fill_the_question_log(served: tuple[TestClient, Services]) -> None:
    client, services = served
    unanswerable = [c for c in map(json.loads, ANSWERS.read_text(encoding="utf-8").splitlines())
                    if not c.get("answerable", True) and not c.get("risky")][:4]  # fmt: skip
    run = _finished(
        client, client.post("/v1/evals/runs", json={"suite": "answers", "cases": unanswerable}).json()["id"]
    )
    assert run["status"] == "done" and run["run"]["metrics"]["cases"] == 4
    assert services.question_log.rows() == []


def test_bad_requests_get_the_error_shape(served: tuple[TestClient, Services]) -> None:
    client, _ = served
    unknown = client.post("/v1/evals/runs", json={"suite": "nope"})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_suite"
    bad = client.post("/v1/evals/runs", json={"suite": "retrieval", "cases": [{"id": "x", "question": "q"}, {"id": 1}]})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cases"
    assert [d["index"] for d in bad.json()["error"]["details"]] == [1]
    files = client.post("/v1/evals/runs", json={"suite": "summaries", "cases": [{"id": "x", "log": "/etc/passwd"}]})
    assert files.status_code == 422 and "shipped data only" in files.json()["error"]["message"]
    for path in ("/v1/evals/runs/..%5C..%5Cetc", "/v1/evals/runs/0123456789abcdef0123456789abcdef/report"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_run", path
    baseline = client.post("/v1/evals/runs", json={"suite": "retrieval", "baseline": "../x"})
    assert baseline.status_code == 404
