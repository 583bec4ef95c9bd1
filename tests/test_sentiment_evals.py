"""The two sentiment suites score what they claim: metrics from known predictions, and planted
facts matched (or not) against a real summary of a small authored log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.sentiment.importers import open_log, read_messages
from assistant.sentiment.models import Summary
from assistant.sentiment.offline import OfflineSentiment
from assistant.services import Services
from evals.sentiment import authored_review_accuracy, scores
from evals.summaries import score_log
from tests.conftest import make_settings
from tests.test_sentiment_cli_api import chat_log


def test_sentiment_scores_accuracy_macro_f1_and_confusion() -> None:
    cases = [{"label": "positive", "predicted": "positive", "phenomenon": "emoji"},
             {"label": "negative", "predicted": "neutral", "phenomenon": "呵呵"},
             {"label": "neutral", "predicted": "neutral"}, {"label": "negative", "predicted": "negative"}]  # fmt: skip
    result = scores(cases)
    assert result["accuracy"] == 0.75
    assert result["per_label"]["negative"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert result["macro_f1"] == round((1.0 + 0.6667 + 0.6667) / 3, 4)
    assert result["confusion"]["negative"] == {"neutral": 1, "negative": 1}
    assert result["by_phenomenon"] == {"emoji": {"accuracy": 1.0, "cases": 1}, "呵呵": {"accuracy": 0.0, "cases": 1}}


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> Summary:
    folder = tmp_path_factory.mktemp("evals")
    settings = make_settings(folder)
    with open_log(str(chat_log(folder / "chat.jsonl"))) as fh:
        return Services(settings).sentiment.summarize(read_messages(fh), ["运营小助手"])


def test_planted_facts_in_the_log_are_surfaced_and_absent_ones_are_not(summary: Summary) -> None:
    facts = {"staff": ["运营小助手"], "planted": [
        {"kind": "complaint_cluster", "topic": "退款慢", "keywords": ["退款"], "min_count": 3},
        {"kind": "risk_wave", "category": "spam_ads", "from": "2026-12-01T10:20:00+08:00",
         "to": "2026-12-01T10:22:00+08:00", "members": ["路人甲"]},
        {"kind": "heated_argument", "members": ["小王", "小李"], "from": "2026-12-01T09:00:00+08:00",
         "to": "2026-12-01T09:05:00+08:00"},
    ]}  # fmt: skip
    result = score_log(summary, facts)
    assert [f["surfaced"] for f in result["planted"]] == [True, True, False]
    assert result["unsupported"] == [] and result["staff_at_risk"] == []


def test_a_control_log_makes_every_claim_unsupported(summary: Summary) -> None:
    result = score_log(summary, {"staff": ["运营小助手"], "planted": []})
    assert {claim.split("@")[0] for claim in result["unsupported"]} >= {"complaint_cluster", "risk_wave"}


def test_review_accuracy_reports_sign_and_label_apart(tmp_path: Path) -> None:
    """A review read as neutral can still lean the right way: the sign counts it, the label does not."""
    rows = [{"id": "a", "text": "很满意，下次还来", "label": "positive", "domain": "hotel"},
            {"id": "b", "text": "太失望了，再也不买", "label": "negative", "domain": "food"},
            {"id": "c", "text": "今天是星期三", "label": "positive", "domain": "food"}]  # fmt: skip
    (tmp_path / "r.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    engine = OfflineSentiment()
    plain = engine.classify(rows[2]["text"])
    assert plain.label == "neutral"  # the premise: a fact, no opinion
    result = authored_review_accuracy(engine, tmp_path)
    assert result["cases"] == 3 and result["label_accuracy"] == round(2 / 3, 4)
    assert result["two_class_accuracy"] == round((2 + (plain.score > 0)) / 3, 4)
    assert result["by_group"]["hotel"] == 1.0
