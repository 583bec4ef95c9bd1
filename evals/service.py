"""Eval runs for the API: one at a time in a background thread, each in its own folder under
``<data_dir>/evals/runs/<id>`` (the run folder of ``--report`` plus ``status.json``), so
reviewers can list them, read them and open their reports after a restart.

Runs use the served knowledge base as it is (nothing is ingested) and never write to the
operators' question log."""

from __future__ import annotations

import json
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from assistant.services import Services
from evals import compare, runner
from evals.suites import SUITES

RUN_ID = re.compile(r"^[0-9a-f]{32}$")


class UnknownRun(LookupError):
    """No run with that id (or not an id at all: ids never name a path unchecked)."""


class NotReady(RuntimeError):
    """The run has no report (yet): it is queued, running, failed or interrupted."""


class InvalidCases(ValueError):
    def __init__(self, details: list[dict[str, Any]], message: str | None = None) -> None:
        super().__init__(message or f"{len(details)} uploaded cases do not match the suite's case format")
        self.details = details


class EvalRuns:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.root = services.settings.data_dir / "evals" / "runs"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eval")
        self._lock = threading.Lock()
        self._active: set[str] = set()

    def start(self, suite: str, cases: list[dict[str, Any]] | None = None, baseline: str | None = None) -> dict:
        """Queues a run of ``suite`` on its shipped data or on ``cases``; returns its status."""
        if suite not in SUITES:
            raise ValueError(f"unknown suite {suite!r}; known: {sorted(SUITES)}")
        if baseline is not None:
            self.folder(baseline)
        if cases is not None:
            if not SUITES[suite].uploadable:
                reason = f"the {suite} suite runs on its shipped data only (its cases name files)"
                raise InvalidCases([{"index": None, "reason": reason}], reason)
            self._validate(SUITES[suite].case_model, cases)
        run_id = uuid.uuid4().hex
        folder = self.root / run_id
        folder.mkdir(parents=True)
        data = None
        if cases is not None:
            data = folder / "data.jsonl"
            data.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
        status = {"id": run_id, "suite": suite, "status": "queued", "created": self.services.now().isoformat(),
                  "uploaded": data is not None, "baseline": baseline}  # fmt: skip
        self._save(folder, status)
        with self._lock:
            self._active.add(run_id)
        self._pool.submit(self._run, folder, status, data, baseline)
        return status

    @staticmethod
    def _validate(model: Any, cases: list[dict[str, Any]]) -> None:
        adapter: TypeAdapter[Any] = TypeAdapter(model)
        details = []
        for i, case in enumerate(cases):
            try:
                adapter.validate_python(case)
            except ValidationError as exc:
                details.append({"index": i, "reason": str(exc).splitlines()[0] + ": " + exc.errors()[0]["msg"]})
        if details or not cases:
            raise InvalidCases(details or [{"index": None, "reason": "no cases"}])

    def _run(self, folder: Path, status: dict[str, Any], data: Path | None, baseline: str | None) -> None:
        suite = SUITES[status["suite"]]
        self._save(folder, {**status, "status": "running"})
        try:
            run = runner.execute(suite, self._quiet(), data, self.services.now)
            if baseline is not None:
                run.comparison = compare.compare(run, suite, self.folder(baseline))
            runner.write(run, folder, suite)
            self._save(folder, {**status, "status": "done", "headline": run.metrics["headline"]})
        except Exception as exc:  # a failed run is reported on the run, never lost in a thread
            self._save(folder, {**status, "status": "failed", "error": f"{type(exc).__name__}: {exc}"})
        finally:
            with self._lock:
                self._active.discard(status["id"])

    def _quiet(self) -> Services:
        """The served services without the question log (eval questions are not members')."""
        return self.services.sharing(self.services.chat_model, log=False)

    def folder(self, run_id: str) -> Path:
        if not RUN_ID.match(run_id) or not (self.root / run_id / "status.json").is_file():
            raise UnknownRun(run_id)
        return self.root / run_id

    def status(self, run_id: str) -> dict[str, Any]:
        folder = self.folder(run_id)
        status: dict[str, Any] = json.loads((folder / "status.json").read_text(encoding="utf-8"))
        with self._lock:
            if status["status"] in ("queued", "running") and run_id not in self._active:
                status["status"] = "interrupted"  # its process stopped before it finished
        if status["status"] == "done":
            status["run"] = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        return status

    def list(self) -> list[dict[str, Any]]:
        ids = [p.parent.name for p in self.root.glob("*/status.json") if RUN_ID.match(p.parent.name)]
        runs = [{k: v for k, v in self.status(i).items() if k != "run"} for i in ids]
        return sorted(runs, key=lambda r: r["created"], reverse=True)

    def report(self, run_id: str) -> str:
        page = self.folder(run_id) / "report.html"
        if not page.is_file():
            raise NotReady(f"run {run_id} is {self.status(run_id)['status']}: no report")
        return page.read_text(encoding="utf-8")

    @staticmethod
    def _save(folder: Path, status: dict[str, Any]) -> None:
        (folder / "status.json").write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
