"""Drafting suite: offline drafts must pass every check with every required fact, cite their
scripts and differ from the previous week's; hand-written posts with planted violations must
be stopped by the check named for them, and clean posts must pass.

One dataset, two kinds of line (a folder holding ``briefs.jsonl`` and ``posts.jsonl``, or any
JSONL file mixing them): a design.md §4 brief, or a post (it has ``text``)."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Discriminator, Field, Tag

from assistant.drafting.checks import DUPLICATE_SIMILARITY, similarity
from assistant.drafting.models import Brief, Plan
from assistant.drafting.offline import OCCASIONAL_KINDS
from assistant.drafting.service import Drafter
from assistant.drafting.store import DraftStore
from evals.report import table
from evals.suite import Options, Ratio, Row, Scorer, Suite, Target, flag

if TYPE_CHECKING:
    from assistant.services import Services

DEFAULT_DATA = Path(__file__).parent / "data" / "drafts"
BRIEFS = DEFAULT_DATA / "briefs.jsonl"
POSTS = DEFAULT_DATA / "posts.jsonl"
#: Posts written after the gate was frozen (``--data`` it to measure them; not in the gate).
HOLDOUT = DEFAULT_DATA.parent / "draft_posts_holdout.jsonl"
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


def _line_kind(value: object) -> str:
    if isinstance(value, dict):
        return "post" if "text" in value else "brief"
    return "post" if isinstance(value, PostCase) else "brief"


DraftCase = Annotated[Annotated[BriefCase, Tag("brief")] | Annotated[PostCase, Tag("post")], Discriminator(_line_kind)]


def _build(services: Services, _options: Options) -> Target:
    def run(cases: Sequence[BriefCase | PostCase]) -> list[Row]:
        # its own database: posts in the operator's queue must not change what the suite measures
        with tempfile.TemporaryDirectory(prefix="shequn-eval-drafts-") as folder:
            store = DraftStore(f"sqlite:///{Path(folder) / 'eval.db'}")
            drafter = Drafter(services.settings, services.index, services.moderation, None, services.now, store)
            return [_draft_case(drafter, c) if isinstance(c, BriefCase) else _post_case(drafter, c) for c in cases]

    return run


def _draft_case(drafter: Drafter, case: BriefCase) -> Row:
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
        "checks_passed": gate.passed, "must_include": by_name["must_include"], "must_avoid": by_name["must_avoid"],
        "cites_scripts": bool(composed.scripts), "differs_from_last_week": differs,
    }  # fmt: skip
    return {"case": "brief", **result, "ok": all(result.values()), "failed_checks": gate.failed,
            "scripts": composed.scripts, "similarity_to_last_week": round(repeat, 3), "draft": composed.text,
            "seconds": round(seconds, 4)}  # fmt: skip


def _post_case(drafter: Drafter, case: PostCase) -> Row:
    plan = drafter.plan(case.community).model_copy(update={"allowed_links": case.allowed_links,
                                                           "contacts": case.contacts})  # fmt: skip
    recent = [(f"recent-{i}", text) for i, text in enumerate(case.recent)]
    gate = drafter.check(case.text, case.community, case.must_include, case.must_avoid, recent=recent,
                         plan=Plan.model_validate(plan.model_dump()))  # fmt: skip
    right = case.violation in gate.failed if case.violation else gate.passed
    return {"case": "post", "stopped": not gate.passed, "failed_checks": gate.failed, "ok": right}


def _rate(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def _draft_metrics(cases: list[Row]) -> dict[str, Any]:
    n = len(cases)
    return {
        "briefs": n,
        "drafts_pass_all_checks_with_facts": _rate(sum(c["checks_passed"] and c["must_include"] for c in cases), n),
        "drafts_ok": _rate(sum(c["ok"] for c in cases), n),
        "drafts_cite_scripts": _rate(sum(c["cites_scripts"] for c in cases), n),
        "drafts_differ_from_last_week": _rate(sum(c["differs_from_last_week"] for c in cases), n),
        "draft_failures_by_check": dict(Counter(f for c in cases for f in c["failed_checks"])),
        "draft_seconds_mean": round(sum(c["seconds"] for c in cases) / max(n, 1), 4),
    }


def _post_metrics(cases: list[Row]) -> dict[str, Any]:
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


def _details(rows: list[Row]) -> dict[str, Any]:
    return {**_draft_metrics([r for r in rows if r["case"] == "brief"]),
            **_post_metrics([r for r in rows if r["case"] == "post"])}  # fmt: skip


def _scores(case: BriefCase | PostCase, actual: Row) -> dict[str, float]:
    if isinstance(case, BriefCase):
        return {"brief": 1.0, "brief_with_facts": flag(actual["checks_passed"] and actual["must_include"]),
                "ok": flag(actual["ok"])}  # fmt: skip
    planted = case.violation is not None
    return {"planted": flag(planted), "planted_stopped": flag(planted and actual["stopped"]),
            "planted_right_check": flag(planted and actual["ok"]), "clean": flag(not planted),
            "clean_stopped": flag(not planted and actual["stopped"]), "ok": flag(actual["ok"])}  # fmt: skip


def _labels(row: Row) -> tuple[str, str]:
    """Briefs: "draft" → first failed check or passed; posts: planted check (or clean) → first failed."""
    expected = "draft" if row["case"] == "brief" else (row["violation"] or "clean")
    return expected, row["failed_checks"][0] if row["failed_checks"] else "passed"


def _markdown(header: dict[str, Any], metrics: dict[str, Any], rows: list[Row]) -> str:
    summary = table([(k, v) for k, v in metrics.items() if not isinstance(v, dict | list)], ["metric", "value"])
    misses = [(c["id"], c["kind"], ", ".join(c["failed_checks"]) or "-", c["similarity_to_last_week"])
              for c in rows if c["case"] == "brief" and not c["ok"]]  # fmt: skip
    wrong = [(c["id"], c["violation"] or "clean", ", ".join(c["failed_checks"]) or "-", c["text"][:60])
             for c in rows if c["case"] == "post" and not c["ok"]]  # fmt: skip
    return "\n\n".join([
        f"# Drafting eval — {header['created']} ({header['git_commit']})", summary,
        f"## Drafts that missed ({len(misses)})",
        table(misses, ["id", "kind", "failed checks", "similarity to last week"]),
        f"## Posts judged wrongly ({len(wrong)})", table(wrong, ["id", "expected", "failed checks", "text"]),
    ])  # fmt: skip


SUITE: Suite[Any] = Suite(
    name="drafts",
    title="Drafting",
    case_model=DraftCase,
    default_data=DEFAULT_DATA,
    expected_fields=("violation",),
    build=_build,
    scorers=(Scorer("drafts", _scores),),
    headline=(
        Ratio("drafts_pass_all_checks_with_facts", "brief_with_facts", "brief"),
        Ratio("violations_stopped", "planted_stopped", "planted"),
        Ratio("violations_stopped_by_right_check", "planted_right_check", "planted"),
        Ratio("clean_stopped", "clean_stopped", "clean", higher_is_better=False),
    ),
    passed=lambda scores: scores["ok"] == 1,
    details=_details,
    markdown=_markdown,
    labels=_labels,
    needs_knowledge=True,
    settings=("knowledge_dir",),
)
