"""Retrieval suite: does hybrid search put the right FAQ entry first, and does it notice
when the knowledge base has no answer?"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.retrieval.index import KnowledgeIndex
from evals.dataset import load_jsonl
from evals.metrics import latency_ms, prf
from evals.report import run_header, table, write_run

DEFAULT_DATA = Path(__file__).parent / "data" / "retrieval.jsonl"


class RetrievalCase(BaseModel):
    id: str
    question: str
    expected_ids: list[str] = Field(default_factory=list)
    answerable: bool = True
    community: str | None = None
    style: str = "unspecified"


def run(
    index: KnowledgeIndex, data: Path = DEFAULT_DATA, report_dir: Path | None = None, threshold: float | None = None
) -> dict[str, Any]:
    """Runs every case, returns metrics; writes the run to ``report_dir`` when given."""
    dataset = load_jsonl(data, RetrievalCase)
    threshold = index.settings.no_answer_threshold if threshold is None else threshold
    index.search("预热", None, 1)  # first query pays jieba/Chroma warm-up, not a member
    cases = [_run_case(index, case) for case in dataset.cases]
    metrics = _metrics(cases, threshold)
    metrics["dataset_errors"] = dataset.errors
    if report_dir is not None:
        header = run_header("retrieval", data, dataset.sha256, engine=str(index.embedder.config))
        write_run(report_dir, header, metrics, cases, _markdown(header, metrics, cases, threshold))
    return metrics


def _run_case(index: KnowledgeIndex, case: RetrievalCase) -> dict[str, Any]:
    started = time.perf_counter()
    hits = index.search(case.question, case.community, k=5, kinds=["faq"])
    seconds = time.perf_counter() - started
    ranked = [h.id for h in hits]
    rank = next((i + 1 for i, rid in enumerate(ranked) if rid in case.expected_ids), None)
    return {
        **case.model_dump(),
        "rank": rank,
        "top": ranked,
        "top_confidence": hits[0].confidence if hits else 0.0,
        "seconds": seconds,
    }


def _metrics(cases: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    answerable = [c for c in cases if c["answerable"]]
    n = max(len(answerable), 1)
    by_style: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in answerable:
        by_style[c["style"]].append(c)
    return {
        "cases": len(cases),
        "answerable": len(answerable),
        "recall@1": round(sum(c["rank"] == 1 for c in answerable) / n, 4),
        "recall@5": round(sum(c["rank"] is not None for c in answerable) / n, 4),
        "mrr": round(sum(1 / c["rank"] for c in answerable if c["rank"]) / n, 4),
        "recall@1_by_style": {
            s: round(sum(c["rank"] == 1 for c in cs) / len(cs), 4) for s, cs in sorted(by_style.items())
        },
        "no_answer": {"threshold": threshold, **_no_answer(cases, threshold)},
        "no_answer_best": _best_threshold(cases),
        "latency_ms": latency_ms([c["seconds"] for c in cases]),
    }


def _no_answer(cases: list[dict[str, Any]], threshold: float) -> dict[str, float]:
    """ "No answer" is the positive class: top confidence below the threshold."""
    tp = sum(not c["answerable"] and c["top_confidence"] < threshold for c in cases)
    fp = sum(c["answerable"] and c["top_confidence"] < threshold for c in cases)
    fn = sum(not c["answerable"] and c["top_confidence"] >= threshold for c in cases)
    return prf(tp, fp, fn)


def _best_threshold(cases: list[dict[str, Any]]) -> dict[str, float]:
    """The threshold that would maximise no-answer F1 here: calibration help, not a target."""
    best = {"threshold": 0.0, "f1": -1.0}
    for step in range(20, 90):
        t = step / 100
        f1 = _no_answer(cases, t)["f1"]
        if f1 > best["f1"]:
            best = {"threshold": t, "f1": f1}
    return best


def _markdown(header: dict[str, Any], metrics: dict[str, Any], cases: list[dict[str, Any]], threshold: float) -> str:
    misses = [c for c in cases if c["answerable"] and c["rank"] != 1]
    wrong_no_answer = [c for c in cases if not c["answerable"] and c["top_confidence"] >= threshold]
    summary = table(
        [[k, metrics[k]] for k in ("cases", "answerable", "recall@1", "recall@5", "mrr")]
        + [
            ["no-answer F1", metrics["no_answer"]["f1"]],
            ["latency p50 / p95 ms", f"{metrics['latency_ms']['p50']} / {metrics['latency_ms']['p95']}"],
        ],
        ["metric", "value"],
    )
    styles = table([[s, v] for s, v in metrics["recall@1_by_style"].items()], ["style", "recall@1"])
    miss_rows = [
        [c["id"], c["question"], ",".join(c["expected_ids"]), ",".join(c["top"][:3]), c["rank"]] for c in misses
    ]
    na_rows = [[c["id"], c["question"], c["top"][0] if c["top"] else "", c["top_confidence"]] for c in wrong_no_answer]
    return (
        "\n\n".join(
            [
                f"# Retrieval eval — {header['created']}",
                f"dataset `{header['dataset']}` ({header['dataset_sha256']}), engine `{header['engine']}`, "
                f"commit `{header['git_commit']}`",
                summary,
                "## Recall@1 by question style",
                styles,
                f"## Answerable questions not ranked first ({len(misses)})",
                table(miss_rows, ["id", "question", "expected", "top 3", "rank"]),
                f"## Unanswerable questions answered anyway ({len(na_rows)})",
                table(na_rows, ["id", "question", "top", "confidence"]),
            ]
        )
        + "\n"
    )
