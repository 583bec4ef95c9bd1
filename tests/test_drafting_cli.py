"""The drafting commands end to end, as a user runs them: JSON out, documented exit codes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(sample_dir: Path, tmp_path: Path) -> Cli:
    """``shequn …`` on the sample knowledge's data dir (ingested once), with this test's own database."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, data_dir=sample_dir, SHEQUN_DATABASE_URL=f"sqlite:///{tmp_path / 'drafts.db'}")

    return run


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_calendar_plan_and_single_draft_review(cli: Cli, tmp_path: Path) -> None:
    calendar = cli("calendar", "--community", "mombaby", "--from", "2026-09-21", "--to", "2026-09-27")  # fmt: skip
    out = json.loads(calendar.stdout)
    assert set(out) == {"community", "slots", "holidays"} and out["community"] == "mombaby"
    assert set(out["slots"][0]) == {"date", "time", "kind", "theme"}
    assert {"date": "2026-09-25", "id": "mid_autumn", "name": "中秋节"} in out["holidays"]

    plan = tmp_path / "plan.yaml"
    plan.write_text("weekly:\n  mon:\n    - {kind: knowledge_post, time: '08:00', theme: 早间干货}\nfestivals: []\n")
    assert cli("plan", "set", "-c", "mombaby", "--file", str(plan)).returncode == 0
    shown = json.loads(cli("plan", "show", "-c", "mombaby").stdout)
    assert shown["weekly"]["mon"][0]["theme"] == "早间干货" and shown["timezone"] == "Asia/Shanghai"
    plan.write_text("weekly: {mon: [{kind: poem}]}\n")
    bad = cli("plan", "set", "-c", "mombaby", "--file", str(plan))
    assert bad.returncode == 2 and "invalid plan" in json.loads(bad.stdout)["error"]

    made = cli("draft", "-c", "mombaby", "--kind", "promotion", "--date", "2026-06-18", "--brief",
                   "618 会员日满300减50", "--must-include", "满300减50")  # fmt: skip
    draft = json.loads(made.stdout)
    assert made.returncode == 0 and draft["passed"] and draft["status"] == "pending_review" and draft["scripts"]
    edited = cli("drafts", "edit", str(draft["id"]), "--text", "满300减50，全网最低！", "--by", "bob")  # fmt: skip
    assert json.loads(edited.stdout)["status"] == "failed_checks"
    refused = cli("drafts", "approve", str(draft["id"]))
    assert refused.returncode == 2 and "failed checks" in json.loads(refused.stdout)["error"]
    rejected = cli("drafts", "reject", str(draft["id"]), "--reason", "太夸张")
    assert json.loads(rejected.stdout)["status"] == "rejected"
    shown = json.loads(cli("drafts", "show", str(draft["id"])).stdout)
    assert [a["action"] for a in shown["audit"]][-3:] == ["edit", "check", "reject"]
    listed = json.loads(cli("drafts", "list", "-c", "mombaby").stdout)
    assert [d["id"] for d in listed] == [draft["id"]]
    missing = cli("drafts", "show", "999")
    assert missing.returncode == 2 and "no draft 999" in missing.stdout


def test_batch_draft_and_check_stream_with_bad_lines(cli: Cli, tmp_path: Path) -> None:
    briefs = tmp_path / "briefs.jsonl"
    briefs.write_text("\n".join([
        json.dumps({"id": "b1", "community": "course", "kind": "live_notice", "date": "2026-06-16",
                    "brief": "周二 20:00 Excel 图表直播", "must_include": ["Excel 图表"], "must_avoid": []}),
        "{not json",
        json.dumps({"id": "b3", "community": "nope", "kind": "promotion", "date": "2026-06-16"}),
        json.dumps({"id": "b4", "community": "mombaby", "kind": "holiday", "date": "2026-06-19", "theme": "端午节"}),
    ]), encoding="utf-8")  # fmt: skip
    out = tmp_path / "drafts.jsonl"
    done = cli("draft", "--input", str(briefs), "--output", str(out), "--dry-run")
    assert done.returncode == 1
    rows = lines(out)
    assert [r.get("id") for r in rows] == ["b1", None, "b3", "b4"]
    assert rows[0]["draft"]["passed"] and set(rows[0]["draft"]) >= {"id", "text", "passed", "checks", "scripts",
                                                                     "status", "engine"}  # fmt: skip
    assert "error" in rows[1] and "unknown community" in rows[2]["error"] and rows[3]["draft"]["passed"]

    posts = tmp_path / "posts.jsonl"
    posts.write_text("\n".join([
        json.dumps({"text": "第一步先看回放，第一次作业周日截止", "community": "course"}),
        json.dumps({"text": "国家级名师，学完包过，加 VX abc123456", "community": "course"}),
        json.dumps({"community": "course"}),
    ]), encoding="utf-8")  # fmt: skip
    checked = tmp_path / "checked.jsonl"
    result = cli("drafts", "check", "--input", str(posts), "--output", str(checked))
    assert result.returncode == 1
    rows = lines(checked)
    assert rows[0]["check"]["passed"] and not rows[1]["check"]["passed"] and "error" in rows[2]
    failed = {c["name"] for c in rows[1]["check"]["checks"] if not c["passed"]}
    assert {"ad_law", "contacts"} <= failed

    single = cli("drafts", "check", "保证收益的理财课", "-c", "course")
    assert single.returncode == 1 and not json.loads(single.stdout)["passed"]
    unknown = cli("calendar", "-c", "nope", "--from", "2026-01-01", "--to", "2026-01-02")
    assert unknown.returncode == 2 and "unknown community" in json.loads(unknown.stdout)["error"]
