"""The false-alarm budget: measured per 1,000 ordinary messages, and thresholds chosen against it."""

import json
from pathlib import Path

import yaml

from assistant.moderation.calibrate import Scored, calibrate
from assistant.moderation.engine import Moderator, builtin_classifier
from assistant.moderation.policy import Policy
from evals.moderation import false_alarm_budget
from tests.conftest import run_cli
from tests.fixed_model import FixedScores


def test_false_alarms_are_counted_per_1000_by_category_and_check(tmp_path: Path) -> None:
    benign = tmp_path / "benign.jsonl"
    lines = ["今天的作业我交了", "加 薇 信 abc_2026x 私聊领取", "晚饭吃什么", "周末去爬山"]
    benign.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in lines) + "\n", encoding="utf-8")
    budget = false_alarm_budget(Moderator(Policy(), {"classifier": builtin_classifier()}), benign)
    assert budget["messages"] == 4 and budget["flagged_per_1000"] == 250.0
    assert budget["by_category"]["spam_ads"]["flagged"] == 250.0
    assert budget["by_check"]["patterns"] == 250.0
    assert any(feature.startswith("pattern:wechat_id") for feature, _ in budget["top_features"])


def test_classifier_only_false_alarms_name_their_ngrams(tmp_path: Path) -> None:
    benign = tmp_path / "benign.jsonl"
    benign.write_text('{"text": "今天的作业我交了"}\n', encoding="utf-8")
    budget = false_alarm_budget(Moderator(Policy(), {"classifier": FixedScores(risky=0.99, fraud=0.99)}), benign)
    assert budget["by_check"] == {"classifier": 1000.0, "classifier_only": 1000.0}
    assert budget["removed_per_1000"] == 0.0  # a classifier alone asks for review


def _scored(fraud: float, rule: float = 0.0, categories: tuple[str, ...] = ()) -> Scored:
    return Scored({"fraud": fraud}, {"fraud": rule} if rule else {}, frozenset(categories))


def test_calibration_picks_the_lowest_threshold_within_budget() -> None:
    benign = [_scored(0.62)] * 2 + [_scored(0.1)] * 998  # 2 per 1,000 at ≥ 0.6
    labelled = [_scored(0.97, categories=("fraud",))] * 6 + [_scored(0.58, categories=("fraud",))] * 4
    report = calibrate(benign, labelled, budget=1.0)["fraud"]
    assert report["threshold"] == 0.65 and report["false_alarms_per_1000"] == 0.0
    assert report["recall"] == 0.6 and report["support"] == 10
    assert report["model_delete_threshold"] == 0.9  # 6 labelled, all right, none benign that high


def test_no_delete_threshold_without_precise_evidence() -> None:
    benign = [_scored(0.99)] + [_scored(0.1)] * 999
    labelled = [_scored(0.99, categories=("fraud",))] * 3 + [_scored(0.99)] * 3
    assert calibrate(benign, labelled)["fraud"]["model_delete_threshold"] is None


def test_calibrate_command_writes_a_policy_file(tmp_path: Path) -> None:
    benign, labelled, out = tmp_path / "benign.jsonl", tmp_path / "labelled.jsonl", tmp_path / "thresholds.yaml"
    benign.write_text('{"text": "周末去爬山"}\n{"text": "晚饭吃什么"}\n', encoding="utf-8")
    labelled.write_text(
        '{"id": "a", "text": "加 薇 信 abc_2026x 私聊领取", "risky": true, "categories": ["spam_ads"]}\n',
        encoding="utf-8",
    )
    result = run_cli("moderation", "calibrate", "--benign", str(benign), "--data", str(labelled), "--output", str(out),
                     data_dir=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["categories"]["spam_ads"]["recall"] == 1.0 and report["benign_messages"] == 2
    policy = Policy(**yaml.safe_load(out.read_text(encoding="utf-8")))
    assert policy.thresholds == {"spam_ads": 0.5}
