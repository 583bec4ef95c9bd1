"""The answers suite's handoff trade-off: what each handoff threshold costs and gains."""

from __future__ import annotations

from evals.answers import handoff_tradeoff


def _cases(group: str, *confidences: float) -> list[dict[str, object]]:
    return [{"group": group, "confidence": c} for c in confidences]


def test_tradeoff_reports_the_cost_of_each_threshold() -> None:
    answerable = _cases("answerable", *([0.9] * 16), 0.6, 0.5, 0.45, 0.0)  # 20: one refused (0.0)
    unanswerable = _cases("unanswerable", 0.3, 0.41, 0.55, 0.7, 0.79)
    tradeoff = handoff_tradeoff([*answerable, *unanswerable, *_cases("risky", 0.0, 0.0)])
    by_threshold = {p["threshold"]: p for p in tradeoff["curve"]}
    assert by_threshold[0.42] == {"threshold": 0.42, "needless_handoff_rate": 0.05, "handoff_recall_unanswerable": 0.4}
    assert by_threshold[0.8]["handoff_recall_unanswerable"] == 1.0
    assert by_threshold[0.8]["needless_handoff_rate"] == 0.2
    # 5 % needless allows only the refused answerable question (thresholds up to 0.44); of those,
    # the lowest that hands off the most unanswerable questions.
    assert tradeoff["best_within_needless_bound"]["threshold"] == 0.42
    # 90 % of the unanswerable questions needs every one of them, i.e. a threshold above 0.79.
    assert tradeoff["cheapest_reaching_target"] == by_threshold[0.8]


def test_tradeoff_is_empty_without_both_groups() -> None:
    tradeoff = handoff_tradeoff(_cases("answerable", 0.7, 0.8))
    assert tradeoff == {"curve": [], "best_within_needless_bound": None, "cheapest_reaching_target": None}
