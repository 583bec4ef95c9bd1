"""The drafts, sentiment, summaries and moderation suites through the one runner, as a reviewer
runs them (``shequn eval SUITE`` in a subprocess, real files, real index): the run folder, the
stdout metrics, and a regression planted in the data failing the shipped gate with the cases
it broke named against the clean run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from evals import drafts, moderation, sentiment, summaries
from tests.conftest import run_cli


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")  # fmt: skip
    return path


def _eval(suite: str, data: Path, folder: Path, data_dir: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = run_cli("eval", suite, "--data", str(data), "--report", str(folder), "--gate", *extra, data_dir=data_dir)
    assert "Traceback" not in out.stderr, out.stderr
    return out.returncode, json.loads(out.stdout)


def _planted(suite: str, clean: Path, planted: Path, tmp: Path, floor: str | None = None) -> tuple[dict, dict]:
    """(clean run summary, planted run summary): the clean run passes the gate, the planted
    one, compared with it, fails. The gate is the shipped one, or with ``floor`` that metric
    at the clean run's own value (for a slice whose numbers are not the shipped data's)."""
    rules = tmp / "thresholds.toml"
    rules.write_text("", encoding="utf-8")
    limits = ("--thresholds", str(rules)) if floor else ()
    code, before = _eval(suite, clean, tmp / "clean", tmp / "d", *limits)
    assert code == 0, before["gate"]
    if floor:
        rules.write_text(f"[{suite}.min]\n{floor} = {before[floor]}\n", encoding="utf-8")
    code, after = _eval(suite, planted, tmp / "planted", tmp / "d", "--baseline", str(tmp / "clean"), *limits)
    assert code == 1 and after["gate"]["passed"] is False
    return before, after


def test_drafts_one_file_of_briefs_and_posts_and_a_flipped_label(tmp_path: Path) -> None:
    briefs, posts = _lines(drafts.BRIEFS)[::12], _lines(drafts.POSTS)[::9]
    clean = _write(tmp_path / "mixed.jsonl", [*briefs, *posts, "{not json"])
    target = next(p for p in posts if p["violation"] is None)  # a clean post now said to break ad_law
    flipped = [{**p, "violation": "ad_law"} if p is target else p for p in posts]
    before, after = _planted("drafts", clean, _write(tmp_path / "flipped.jsonl", [*briefs, *flipped]), tmp_path)
    assert before["briefs"] == len(briefs) and before["planted_violations"] + before["clean_posts"] == len(posts)
    assert before["violations_stopped"] == 1.0 and before["clean_stopped"] == 0.0
    assert before["drafts_cite_scripts"] == 1.0 and len(before["dataset_errors"]) == 1
    assert after["comparison"]["newly_failing"] == [target["id"]]
    failed = {c["metric"] for c in after["gate"]["checks"] if not c["ok"]}
    assert "violations_stopped" in failed
    run = json.loads((tmp_path / "clean" / "run.json").read_text(encoding="utf-8"))
    assert run["suite"] == "drafts" and run["engine"] == "offline" and run["tokens"] is None and run["cost"] is None
    cases = _lines(tmp_path / "clean" / "cases.jsonl")
    assert {c["actual"]["case"] for c in cases} == {"brief", "post"} and all(
        isinstance(c["passed"], bool) for c in cases
    )
    assert "Posts judged wrongly" in (tmp_path / "planted" / "report.md").read_text(encoding="utf-8")


def test_drafts_default_data_is_the_folder_of_briefs_and_posts() -> None:
    assert drafts.SUITE.default_data == drafts.BRIEFS.parent == drafts.POSTS.parent
    assert not drafts.HOLDOUT.is_relative_to(drafts.SUITE.default_data)  # written after the gate was frozen


def test_sentiment_flipped_labels_fail_the_gate(tmp_path: Path) -> None:
    rows = _lines(sentiment.DEFAULT_DATA)[::40]
    clean = _write(tmp_path / "cases.jsonl", rows)
    other = {"positive": "negative", "negative": "neutral", "neutral": "positive"}
    flipped_ids = [r["id"] for r in rows[:8]]
    planted = _write(tmp_path / "flipped.jsonl", [{**r, "label": other[r["label"]]} if r["id"] in flipped_ids else r
                                                  for r in rows])  # fmt: skip
    before, after = _planted("sentiment", clean, planted, tmp_path, floor="accuracy")
    assert before["cases"] == len(rows) and "reviews_held_out" not in before  # own data: no held-out corpus
    assert set(before["confusion"]) <= {"positive", "negative", "neutral"}
    was_right = [c["id"] for c in _lines(tmp_path / "clean" / "cases.jsonl") if c["passed"]]
    assert after["comparison"]["newly_failing"] == [i for i in flipped_ids if i in was_right]
    assert after["accuracy"] < before["accuracy"] and after["comparison"]["deltas"]["accuracy"]["delta"] < 0
    assert "Confusion matrix" in (tmp_path / "planted" / "report.html").read_text(encoding="utf-8")


def test_summaries_a_fact_that_was_never_planted_is_not_surfaced(tmp_path: Path) -> None:
    clean = tmp_path / "logs"
    clean.mkdir()
    for name in ("log01.jsonl", "log01.facts.json"):
        shutil.copy(summaries.DEFAULT_DATA / name, clean / name)
    planted = tmp_path / "planted"
    shutil.copytree(clean, planted)
    facts = json.loads((planted / "log01.facts.json").read_text(encoding="utf-8"))
    facts["planted"].append({"kind": "at_risk_member", "member": "从没说过话的人"})
    (planted / "log01.facts.json").write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    (planted / "log02.jsonl").write_text("", encoding="utf-8")  # no facts file: reported, the rest run
    before, after = _planted("summaries", clean, planted, tmp_path)
    assert before["logs"] == 1 and before["surfaced_rate"] == 1.0
    assert after["surfaced_rate"] < 0.9 and after["comparison"]["newly_failing"] == ["log01"]
    assert len(after["dataset_errors"]) == 1 and "log02.facts.json" in after["dataset_errors"][0]
    run = json.loads((tmp_path / "clean" / "run.json").read_text(encoding="utf-8"))
    assert run["dataset"] == str(clean) and len(run["dataset_sha256"]) == 64


def test_moderation_false_alarm_budget_is_part_of_the_run(tmp_path: Path) -> None:
    rows = _lines(moderation.DEFAULT_DATA)[::15]
    clean = _write(tmp_path / "cases.jsonl", rows)
    flipped = [r["id"] for r in rows if not r["risky"]][:3]
    planted = _write(tmp_path / "flipped.jsonl", [
        {**r, "risky": True, "categories": ["fraud"]} if r["id"] in flipped else r for r in rows
    ])  # fmt: skip
    benign = _write(tmp_path / "benign.jsonl", [{"text": t} for t in ("晚饭吃什么", "加 薇 信 abc_2026x 私聊领取")])
    before, after = _planted("moderation", clean, planted, tmp_path, floor="macro_f1")
    assert after["comparison"]["newly_failing"] == flipped and "false_alarms" not in after
    code, budget = _eval(
        "moderation",
        clean,
        tmp_path / "budget",
        tmp_path / "d",
        "--benign",
        str(benign),
        "--thresholds",
        str(tmp_path / "thresholds.toml"),
    )  # the slice's own floor
    assert code == 0 and budget["risky"] == before["risky"]
    alarms = budget["false_alarms"]
    assert alarms["messages"] == 2 and alarms["flagged_per_1000"] == 500.0 and alarms["by_check"]["patterns"] == 500.0
    assert any(feature.startswith("pattern:wechat_id") for feature, _ in alarms["top_features"])
    assert "False alarms on ordinary traffic" in (tmp_path / "budget" / "report.md").read_text(encoding="utf-8")
    page = (tmp_path / "budget" / "report.html").read_text(encoding="utf-8")
    assert "false_alarms.by_check" in page and "pattern:wechat_id" in page
