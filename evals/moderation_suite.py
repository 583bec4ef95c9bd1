"""Moderation and evasion through the runner: a thin adapter over ``evals.moderation`` (its
case model, metrics and report are used as they are; only the batched target and the per-case
scores live here)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals import moderation
from evals.moderation import ModerationCase
from evals.suite import Ratio, Row, Scorer, Suite, Target, flag

if TYPE_CHECKING:
    from assistant.services import Services

EVASION_DATA = Path(__file__).parent / "data" / "moderation_evasion.jsonl"
#: Messages also timed one at a time (the latency a single API call sees).
SINGLE_TIMED = 300


def _build(services: Services) -> Target:
    moderator = services.moderation.moderator(None)

    def run(cases: Sequence[ModerationCase]) -> list[Row]:
        moderator.moderate("预热")
        rows: list[Row] = []
        for start in range(0, len(cases), moderation.BATCH):
            chunk = cases[start : start + moderation.BATCH]
            began = time.perf_counter()
            by_source = {
                s: moderator.moderate_many([c.text for c in chunk if c.source == s], s)
                for s in dict.fromkeys(c.source for c in chunk)
            }  # a case is read as who posted it
            per_message = (time.perf_counter() - began) / max(len(chunk), 1)
            verdicts = [by_source[c.source].pop(0) for c in chunk]
            rows += [{"predicted_risky": v.risky, "predicted": v.categories, "action": v.action,
                      "rules": sorted({e.rule for e in v.evidence})[:5], "seconds": per_message}
                     for v in verdicts]  # fmt: skip
        for row, case in zip(rows[:SINGLE_TIMED], cases, strict=False):
            began = time.perf_counter()
            moderator.moderate(case.text, case.source)
            row["single_seconds"] = time.perf_counter() - began
        return rows

    return run


def _risky(case: ModerationCase, actual: Row) -> dict[str, float]:
    tp, fp = case.risky and actual["predicted_risky"], not case.risky and actual["predicted_risky"]
    fn = case.risky and not actual["predicted_risky"]
    right_category = bool(set(actual["predicted"]) & set(case.categories))
    return {"tp": flag(tp), "fp": flag(fp), "fn": flag(fn), "f1_numerator": 2 * flag(tp),
            "f1_denominator": 2 * flag(tp) + flag(fp) + flag(fn), "risky": flag(case.risky),
            "caught_right_category": flag(case.risky and right_category),
            "ok": flag(right_category if case.risky else not actual["predicted_risky"])}  # fmt: skip


def _details(rows: list[Row]) -> dict[str, Any]:
    return moderation._metrics(rows, [r["single_seconds"] for r in rows if "single_seconds" in r])


def _labels(row: Row) -> tuple[str, str]:
    expected = row["categories"][0] if row["categories"] else ("risky:unknown" if row["risky"] else "benign")
    return expected, row["predicted"][0] if row["predicted"] else "benign"


def _suite(name: str, title: str, data: Path, headline: tuple[Ratio, ...]) -> Suite[ModerationCase]:
    return Suite(
        name=name, title=title, case_model=ModerationCase, default_data=data,
        expected_fields=("risky", "categories"), build=_build, scorers=(Scorer("risky", _risky),),
        headline=headline, passed=lambda scores: scores["ok"] == 1, details=_details,
        markdown=moderation._markdown, labels=_labels,
    )  # fmt: skip


RISKY_F1 = Ratio("risky.f1", "f1_numerator", "f1_denominator")
MODERATION = _suite("moderation", "Moderation", moderation.DEFAULT_DATA, (RISKY_F1,))
EVASION = _suite(
    "evasion", "Moderation evasion", EVASION_DATA,
    (Ratio("evasion.caught_right_category", "caught_right_category", "risky"), RISKY_F1),
)  # fmt: skip
