"""Drafting suite: offline drafts must pass every check with every required fact, cite their
scripts and differ from the previous week's; hand-written posts with planted violations must
be stopped by the check named for them, and clean posts must pass."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.drafting.checks import DUPLICATE_SIMILARITY, similarity
from assistant.drafting.models import Brief, Plan
from assistant.drafting.offline import OCCASIONAL_KINDS
from assistant.drafting.service import Drafter
from evals.dataset import load_jsonl
from evals.report import run_header, table, write_run

DEFAULT_DATA = Path(__file__).parent / "data" / "drafts.jsonl"
DEFAULT_POSTS = Path(__file__).parent / "data" / "draft_posts.jsonl"
#: Festival greetings and farewells do not come round weekly: their "last time" is a year
#: earlier, beyond any near-duplicate window, and they need only not repeat word for word.
YEARLY_KINDS = OCCASIONAL_KINDS


class BriefCase(Brief):
    """A design.md §4 drafting line."""

    id: str


class PostCase(BaseModel):
    """A hand-written post; ``violation`` names the check that must stop it (None: clean)."""

    id: str
    text: str
    community: str
    violation: str | None = None
    must_include: list[str] = Field(default_factory=list)
    must_avoid: list[str] = Field(default_factory=list)
    recent: list[str] = Field(default_factory=list, description="Posts sent in the last weeks.")
    allowed_links: list[str] = Field(default_factory=list)
    contacts: list[str] = Field(default_factory=list)


def run(drafter: Drafter, briefs: Path = DEFAULT_DATA, posts: Path = DEFAULT_POSTS,
        report_dir: Path | None = None) -> dict[str, Any]:  # fmt: skip
    brief_set, post_set = load_jsonl(briefs, BriefCase), load_jsonl(posts, PostCase)
    drafted = [_draft_case(drafter, case) for case in brief_set.cases]
    checked = [_post_case(drafter, case) for case in post_set.cases]
    metrics = {**_draft_metrics(drafted), **_post_metrics(checked),
               "dataset_errors": brief_set.errors + post_set.errors}  # fmt: skip
    if report_dir is not None:
        header = run_header("drafts", briefs, brief_set.sha256, engine="offline")
        header["posts"], header["posts_sha256"] = str(posts), post_set.sha256
        write_run(report_dir, header, metrics, drafted + checked, _markdown(header, metrics, drafted, checked))
    return metrics


def _draft_case(drafter: Drafter, case: BriefCase) -> dict[str, Any]:
    brief = Brief.model_validate(case.model_dump())
    yearly = brief.kind in YEARLY_KINDS
    day = brief.date
    before = day.replace(year=day.year - 1, day=min(day.day, 28)) if yearly else day - dt.timedelta(days=7)
    previous, _ = drafter.compose(brief.model_copy(update={"date": before}), recent=[])
    # as in production: last week's post is among the recent ones this week's must not repeat
    began = time.perf_counter()
    composed, gate = drafter.compose(brief, recent=[] if yearly else [("last-week", previous.text)])
    seconds = time.perf_counter() - began
    repeat = similarity(composed.text, previous.text)
    differs = composed.text != previous.text if yearly else repeat < DUPLICATE_SIMILARITY
    by_name = {c.name: c.passed for c in gate.checks}
    result = {
        "passed": gate.passed, "must_include": by_name["must_include"], "must_avoid": by_name["must_avoid"],
        "cites_scripts": bool(composed.scripts), "differs_from_last_week": differs,
    }  # fmt: skip
    return {"case": "brief", "id": case.id, "community": case.community, "kind": case.kind, **result,
            "ok": all(result.values()), "failed_checks": gate.failed, "scripts": composed.scripts,
            "similarity_to_last_week": round(repeat, 3), "text": composed.text,
            "seconds": round(seconds, 4)}  # fmt: skip


def _year_before(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29) else day.day)


def _post_case(drafter: Drafter, case: PostCase) -> dict[str, Any]:
    plan = drafter.plan(case.community).model_copy(update={"allowed_links": case.allowed_links,
                                                           "contacts": case.contacts})  # fmt: skip
    recent = [(f"recent-{i}", text) for i, text in enumerate(case.recent)]
    gate = drafter.check(case.text, case.community, case.must_include, case.must_avoid, recent=recent,
                         plan=Plan.model_validate(plan.model_dump()))  # fmt: skip
    right = case.violation in gate.failed if case.violation else gate.passed
    return {"case": "post", "id": case.id, "community": case.community, "violation": case.violation,
            "stopped": not gate.passed, "failed_checks": gate.failed, "ok": right, "text": case.text}  # fmt: skip


def _rate(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def _draft_metrics(cases: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(cases)
    return {
        "briefs": n,
        "drafts_pass_all_checks_with_facts": _rate(sum(c["passed"] and c["must_include"] for c in cases), n),
        "drafts_ok": _rate(sum(c["ok"] for c in cases), n),
        "drafts_cite_scripts": _rate(sum(c["cites_scripts"] for c in cases), n),
        "drafts_differ_from_last_week": _rate(sum(c["differs_from_last_week"] for c in cases), n),
        "draft_failures_by_check": dict(Counter(f for c in cases for f in c["failed_checks"])),
        "draft_seconds_mean": round(sum(c["seconds"] for c in cases) / max(n, 1), 4),
    }


def _post_metrics(cases: list[dict[str, Any]]) -> dict[str, Any]:
    planted = [c for c in cases if c["violation"]]
    clean = [c for c in cases if not c["violation"]]
    per_check: dict[str, list[int]] = {}
    for c in planted:
        per_check.setdefault(c["violation"], [0, 0])
        per_check[c["violation"]][0] += c["ok"]
        per_check[c["violation"]][1] += 1
    return {
        "planted_violations": len(planted),
        "violations_stopped_by_right_check": _rate(sum(c["ok"] for c in planted), len(planted)),
        "violations_stopped": _rate(sum(c["stopped"] for c in planted), len(planted)),
        "clean_posts": len(clean),
        "clean_stopped": _rate(sum(c["stopped"] for c in clean), len(clean)),
        "recall_by_check": {k: _rate(hit, total) for k, (hit, total) in sorted(per_check.items())},
    }


def _markdown(header: dict[str, Any], metrics: dict[str, Any], drafted: list[dict[str, Any]],
              checked: list[dict[str, Any]]) -> str:  # fmt: skip
    summary = table([(k, v) for k, v in metrics.items() if not isinstance(v, dict | list)], ["metric", "value"])
    misses = [(c["id"], c["kind"], ", ".join(c["failed_checks"]) or "-", c["similarity_to_last_week"])
              for c in drafted if not c["ok"]]  # fmt: skip
    wrong = [(c["id"], c["violation"] or "clean", ", ".join(c["failed_checks"]) or "-", c["text"][:60])
             for c in checked if not c["ok"]]  # fmt: skip
    return "\n\n".join([
        f"# Drafting eval — {header['created']} ({header['git_commit']})", summary,
        "## Drafts that missed", table(misses, ["id", "kind", "failed checks", "similarity to last week"]),
        "## Posts judged wrongly", table(wrong, ["id", "expected", "failed checks", "text"]),
    ])  # fmt: skip
