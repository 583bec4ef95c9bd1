"""Retrieval suite: does hybrid search put the right FAQ entry first, and does it notice
when the knowledge base has no answer?"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.retrieval.index import KnowledgeIndex
from evals.metrics import latency_ms, prf
from evals.report import table
from evals.suite import Options, Ratio, Row, Scorer, Suite, Target, flag

if TYPE_CHECKING:
    from assistant.services import Services

DEFAULT_DATA = Path(__file__).parent / "data" / "retrieval.jsonl"


class RetrievalCase(BaseModel):
    id: str
    question: str
    expected_ids: list[str] = Field(default_factory=list)
    answerable: bool = True
    community: str | None = None
    style: str = "unspecified"


def target(index: KnowledgeIndex, threshold: float | None = None) -> Target:
    """Top 5 FAQ entries per question, and whether the top one falls below the no-answer threshold."""
    cutoff = index.settings.no_answer_threshold if threshold is None else threshold

    def run(cases: Sequence[RetrievalCase]) -> list[Row]:
        index.search("预热", None, 1)  # first query pays jieba/Chroma warm-up, not a member
        return [_search(index, case, cutoff) for case in cases]

    return run


def _search(index: KnowledgeIndex, case: RetrievalCase, threshold: float) -> Row:
    started = time.perf_counter()
    hits = index.search(case.question, case.community, k=5, kinds=["faq"])
    seconds = time.perf_counter() - started
    ranked = [h.id for h in hits]
    rank = next((i + 1 for i, rid in enumerate(ranked) if rid in case.expected_ids), None)
    confidence = hits[0].confidence if hits else 0.0
    return {"rank": rank, "top": ranked, "top_confidence": confidence, "threshold": threshold, "seconds": seconds}


def _ranking(case: RetrievalCase, actual: Row) -> dict[str, float]:
    rank = actual["rank"] if case.answerable else None
    return {
        "answerable": flag(case.answerable),
        "hit@1": flag(rank == 1),
        "hit@5": flag(rank is not None),
        "reciprocal_rank": 1 / rank if rank else 0.0,
    }


def _no_answer(case: RetrievalCase, actual: Row) -> dict[str, float]:
    """Unanswerable questions whose top hit falls below the threshold (no answer noticed)."""
    return {"no_answer_noticed": flag(not case.answerable and actual["top_confidence"] < actual["threshold"])}


def _passed(scores: dict[str, float]) -> bool:
    return bool(scores["hit@1"] if scores["answerable"] else scores["no_answer_noticed"])


def _labels(row: Row) -> tuple[str, str]:
    found = "answered" if row["top_confidence"] >= row["threshold"] else "no answer"
    return ("answerable" if row["answerable"] else "unanswerable"), found


def _details(rows: list[Row]) -> dict[str, Any]:
    return _metrics(rows, rows[0]["threshold"] if rows else 0.0)


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
        "no_answer": {"threshold": threshold, **_no_answer_prf(cases, threshold)},
        "no_answer_best": _best_threshold(cases),
        "latency_ms": latency_ms([c["seconds"] for c in cases]),
    }


def _no_answer_prf(cases: list[dict[str, Any]], threshold: float) -> dict[str, float]:
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
        f1 = _no_answer_prf(cases, t)["f1"]
        if f1 > best["f1"]:
            best = {"threshold": t, "f1": f1}
    return best


def _markdown(header: dict[str, Any], metrics: dict[str, Any], cases: list[dict[str, Any]]) -> str:
    threshold = metrics["no_answer"]["threshold"]
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


def _build(services: Services, _options: Options) -> Target:
    return target(services.index)


SUITE: Suite[RetrievalCase] = Suite(
    name="retrieval",
    title="Retrieval",
    case_model=RetrievalCase,
    default_data=DEFAULT_DATA,
    expected_fields=("expected_ids", "answerable"),
    build=_build,
    scorers=(Scorer("ranking", _ranking), Scorer("no_answer", _no_answer)),
    headline=(
        Ratio("recall@1", "hit@1", "answerable"),
        Ratio("recall@5", "hit@5", "answerable"),
        Ratio("mrr", "reciprocal_rank", "answerable"),
    ),
    passed=_passed,
    details=_details,
    markdown=_markdown,
    labels=_labels,
    needs_knowledge=True,
    settings=("embeddings", "embedding_dim", "embeddings_model", "no_answer_threshold"),
)
