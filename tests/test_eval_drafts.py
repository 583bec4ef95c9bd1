"""The drafting eval runs end to end on a slice of its suite and writes its report."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.retrieval.index import KnowledgeIndex
from assistant.services import Services
from evals import drafts
from tests.conftest import make_settings


def test_drafts_suite_slice(sample_index: KnowledgeIndex, sample_dir: Path, tmp_path: Path) -> None:
    briefs, posts = tmp_path / "briefs.jsonl", tmp_path / "posts.jsonl"
    briefs.write_text("".join(drafts.DEFAULT_DATA.read_text("utf-8").splitlines(True)[::12]), encoding="utf-8")
    lines = drafts.DEFAULT_POSTS.read_text("utf-8").splitlines(True)
    posts.write_text("".join(lines[::9]), encoding="utf-8")
    settings = make_settings(sample_dir, database_url=f"sqlite:///{tmp_path / 'eval.db'}")
    drafter = Services(settings).drafter
    metrics = drafts.run(drafter, briefs, posts, tmp_path / "report")
    assert metrics["briefs"] == 11 and metrics["dataset_errors"] == []
    assert metrics["drafts_pass_all_checks_with_facts"] >= 0.9 and metrics["drafts_cite_scripts"] == 1.0
    assert metrics["planted_violations"] + metrics["clean_posts"] == len(lines[::9])
    assert metrics["violations_stopped_by_right_check"] >= 0.9 and metrics["clean_stopped"] <= 0.1
    cases = [json.loads(line) for line in (tmp_path / "report" / "cases.jsonl").read_text("utf-8").splitlines()]
    assert {c["case"] for c in cases} == {"brief", "post"}
    assert "Drafts that missed" in (tmp_path / "report" / "report.md").read_text("utf-8")
