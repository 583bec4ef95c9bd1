"""Per-category thresholds chosen against a false-alarm budget on ordinary traffic.

A threshold is the lowest score at which a category stays within its budget of false alarms per
1,000 benign messages; the labelled set shows what recall that costs. A classifier-only delete
threshold is proposed only where the benign traffic shows almost no classifier-only scores that
high and the labelled set shows that such scores are nearly always right; otherwise a classifier
alone never deletes (the policy default)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.moderation.engine import RULE_EVIDENCE, Moderator, rule_scores
from assistant.moderation.models import Verdict

FLAG_GRID = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
DELETE_GRID = (0.9, 0.95, 0.98, 0.99)
#: Fewer labelled examples above a delete threshold than this is no evidence for it.
MIN_SUPPORT = 5
DELETE_PRECISION = 0.95


@dataclass(frozen=True)
class Scored:
    """One message's combined and rule-only score per category, and its labelled categories."""

    combined: dict[str, float]
    ruled: dict[str, float]
    categories: frozenset[str] = frozenset()


def score(
    moderator: Moderator, texts: Sequence[str], categories: Sequence[Sequence[str]] | None = None
) -> list[Scored]:
    verdicts: list[Verdict] = []
    for start in range(0, len(texts), 512):
        verdicts += moderator.moderate_many(texts[start : start + 512])
    labels = categories or [() for _ in texts]
    return [
        Scored(dict(v.scores), rule_scores(v.checks), frozenset(cats)) for v, cats in zip(verdicts, labels, strict=True)
    ]


def calibrate(
    benign: list[Scored], labelled: list[Scored], budget: float = 1.0, delete_budget: float = 0.2
) -> dict[str, dict[str, float | int | None]]:
    """Per category seen in the labelled set: the chosen flag threshold, its benign false alarms
    per 1,000 and labelled recall, and a classifier-only delete threshold (or None)."""
    report: dict[str, dict[str, float | int | None]] = {}
    for category in sorted({c for s in labelled for c in s.categories}):
        positives = [s for s in labelled if category in s.categories]
        threshold = next((t for t in FLAG_GRID if _per_1000(benign, category, t) <= budget), FLAG_GRID[-1])
        report[category] = {
            "threshold": threshold,
            "false_alarms_per_1000": round(_per_1000(benign, category, threshold), 2),
            "recall": round(sum(s.combined.get(category, 0.0) >= threshold for s in positives) / len(positives), 4),
            "support": len(positives),
            "model_delete_threshold": _delete_threshold(benign, labelled, category, delete_budget),
        }
    return report


def _model_only(scored: list[Scored], category: str, t: float) -> list[Scored]:
    return [s for s in scored if s.combined.get(category, 0.0) >= t and s.ruled.get(category, 0.0) < RULE_EVIDENCE]


def _per_1000(benign: list[Scored], category: str, t: float, model_only: bool = False) -> float:
    hits = _model_only(benign, category, t) if model_only else [s for s in benign if s.combined.get(category, 0.0) >= t]
    return len(hits) * 1000 / max(len(benign), 1)


def _delete_threshold(benign: list[Scored], labelled: list[Scored], category: str, budget: float) -> float | None:
    """The lowest classifier-only score that is nearly always right on the labelled set and
    nearly never reached on benign traffic."""
    for t in DELETE_GRID:
        above = _model_only(labelled, category, t)
        right = sum(category in s.categories for s in above)
        precise = len(above) >= MIN_SUPPORT and right / len(above) >= DELETE_PRECISION
        if precise and _per_1000(benign, category, t, model_only=True) <= budget:
            return t
    return None
