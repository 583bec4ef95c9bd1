"""The one eval runner: headline intervals, run folders, baseline comparison and the gate,
through ``shequn eval`` as a reviewer runs it (real files, real index, real subprocess)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from evals import stats, thresholds
from evals.retrieval import DEFAULT_DATA
from evals.suite import Ratio
from tests.conftest import SAMPLE_KNOWLEDGE, run_cli

RECALL = Ratio("recall@1", "hit@1", "answerable")


def test_headline_is_the_ratio_with_a_reproducible_interval() -> None:
    scores = [{"hit@1": float(i % 4 != 0), "answerable": 1.0} for i in range(200)] + [{"answerable": 0.0}] * 20
    first, again = stats.headline(RECALL, scores), stats.headline(RECALL, scores)
    assert first == again and first["value"] == 0.75
    low, high = first["ci95"]
    assert 0.68 < low < 0.75 < high < 0.82


def test_paired_delta_of_a_run_with_itself_is_zero_and_a_drop_is_flagged() -> None:
    before = [{"hit@1": 1.0, "answerable": 1.0}] * 100
    assert stats.paired_delta(RECALL, before, before) == {"delta": 0.0, "ci95": [0.0, 0.0]}
    after = [{"hit@1": float(i >= 20), "answerable": 1.0} for i in range(100)]
    drop = stats.paired_delta(RECALL, after, before)
    assert drop["delta"] == -0.2 and drop["ci95"][1] < 0


def test_gate_checks_min_max_and_refuses_unknown_metrics() -> None:
    rules = {"s": {"min": {"risky.f1": 0.9, "gone": 0.1}, "max": {"risky_answered": 0}}}
    result = thresholds.gate("s", {"risky": {"f1": 0.95}, "risky_answered": 1}, rules, None)
    assert [(c["metric"], c["ok"]) for c in result["checks"]] == [
        ("risky.f1", True), ("gone", False), ("risky_answered", False)
    ]  # fmt: skip
    assert result["passed"] is False


def test_shipped_thresholds_name_metrics_of_registered_suites() -> None:
    from evals.suites import SUITES

    rules = thresholds.load()
    assert set(rules) <= set(SUITES)
    assert rules["retrieval"]["min"]["recall@1"] < 0.868 and rules["answers"]["max"]["risky_answered"] == 0


def _subset(tmp_path: Path, n: int = 40) -> Path:
    data = tmp_path / "cases.jsonl"
    data.write_text("".join(DEFAULT_DATA.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
    return data


def _cases(folder: Path) -> dict[str, dict]:
    return {c["id"]: c for c in map(json.loads, (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines())}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(data, run folder, data dir) of a retrieval run on 40 shipped cases."""
    tmp = tmp_path_factory.mktemp("baseline")
    data, folder = _subset(tmp), tmp / "run"
    out = run_cli("eval", "retrieval", "--data", str(data), "--report", str(folder), data_dir=tmp / "d")
    assert out.returncode == 0, out.stderr
    return data, folder, tmp / "d"


def test_run_folder_records_what_makes_runs_comparable(baseline: tuple[Path, Path, Path]) -> None:
    data, folder, _ = baseline
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert run["suite"] == "retrieval" and run["dataset"] == str(data) and len(run["dataset_sha256"]) == 64
    assert run["engine"] == "offline" and run["model"] is None and len(run["git_commit"]) == 40
    assert run["settings"]["no_answer_threshold"] == 0.5 and run["timing"]["seconds"] > 0
    metrics = run["metrics"]
    for name in ("recall@1", "recall@5", "mrr"):  # the scorers agree with the suite's own metrics
        assert metrics["headline"][name]["value"] == metrics[name]
        low, high = metrics["headline"][name]["ci95"]
        assert low <= metrics[name] <= high
    cases = _cases(folder)
    assert len(cases) == 40 and metrics["passed"] == sum(c["passed"] for c in cases.values())
    first = cases["r-mba-001"]
    assert first["input"]["question"] and first["expected"] == {"expected_ids": ["mb-ord-001"], "answerable": True}
    assert first["actual"]["top"] and first["scores"]["answerable"] == 1.0 and isinstance(first["passed"], bool)
    assert (folder / "report.md").read_text(encoding="utf-8").startswith("# Retrieval eval")
    assert "95% bootstrap" in (folder / "report.html").read_text(encoding="utf-8")


def _gate_at(tmp_path: Path, baseline_folder: Path) -> Path:
    """Thresholds at the baseline's own recall@1: any drop fails."""
    value = json.loads((baseline_folder / "run.json").read_text(encoding="utf-8"))["metrics"]["recall@1"]
    path = tmp_path / "thresholds.toml"
    path.write_text(f'[retrieval.min]\n"recall@1" = {value}\n', encoding="utf-8")
    return path


def test_a_flipped_label_shows_as_newly_failing_and_fails_the_gate(
    baseline: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    data, folder, data_dir = baseline
    passing = [i for i, c in _cases(folder).items() if c["passed"] and c["expected"]["answerable"]][:2]
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["id"] in passing:
            row["expected_ids"] = ["co-learn-001"]  # a label flipped to another community's entry
    flipped = tmp_path / "flipped.jsonl"
    flipped.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    gate = _gate_at(tmp_path, folder)
    out = run_cli("eval", "retrieval", "--data", str(flipped), "--report", str(tmp_path / "run"), "--baseline",
                  str(folder), "--gate", "--thresholds", str(gate), data_dir=data_dir)  # fmt: skip
    assert out.returncode == 1, out.stderr
    comparison = json.loads(out.stdout)["comparison"]
    assert comparison["newly_failing"] == passing and comparison["newly_passing"] == []
    answerable = sum(c["expected"]["answerable"] for c in _cases(folder).values())
    assert comparison["same_dataset"] is False
    assert comparison["deltas"]["recall@1"]["delta"] == -round(2 / answerable, 4)
    assert json.loads(out.stdout)["gate"]["passed"] is False


def test_a_removed_knowledge_entry_names_the_questions_it_answered(
    baseline: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    data, folder, _ = baseline
    knowledge = tmp_path / "knowledge"
    shutil.copytree(SAMPLE_KNOWLEDGE, knowledge)
    faq = knowledge / "faq" / "mombaby-shopping.yaml"
    doc = yaml.safe_load(faq.read_text(encoding="utf-8"))
    doc["entries"] = [e for e in doc["entries"] if e["id"] != "mb-ord-001"]
    faq.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    run_folder = tmp_path / "run"
    out = run_cli("eval", "retrieval", "--data", str(data), "--knowledge", str(knowledge), "--report", str(run_folder),
                  "--baseline", str(folder), "--gate", "--thresholds", str(_gate_at(tmp_path, folder)),
                  data_dir=tmp_path / "d")  # fmt: skip
    assert out.returncode == 1, out.stderr
    summary = json.loads(out.stdout)
    before = _cases(folder).items()
    was_passing = {i for i, c in before if c["expected"]["expected_ids"] == ["mb-ord-001"] and c["passed"]}
    assert was_passing and set(summary["comparison"]["newly_failing"]) == was_passing
    assert summary["comparison"]["same_dataset"] is True
    checks = {c["rule"]: c for c in summary["gate"]["checks"]}
    assert not checks[next(r for r in checks if r.startswith(">="))]["ok"]
    report = (run_folder / "report.md").read_text(encoding="utf-8")
    assert "Newly failing" in report and sorted(was_passing)[0] in report


def test_baseline_that_is_not_a_run_is_one_line_exit_2(baseline: tuple[Path, Path, Path], tmp_path: Path) -> None:
    data, _, data_dir = baseline
    out = run_cli("eval", "retrieval", "--data", str(data), "--report", str(tmp_path / "r"), "--baseline",
                  str(tmp_path), data_dir=data_dir)  # fmt: skip
    assert out.returncode == 2
    assert "not a run folder" in json.loads(out.stdout)["error"] and "Traceback" not in out.stderr
