"""Summaries suite: authored chat logs with planted facts (``logNN.jsonl`` + ``logNN.facts.json``).

A planted fact is surfaced when the summary says it in the matching place: the member in
``at_risk``; a complaint cluster whose topic or examples hold one of the fact's keywords; an
alert of the fact's kind overlapping its time (and its members or category). A claim is
unsupported when no planted fact of the log backs it: every alert and every member at risk
is checked (a negative spike is backed by a planted complaint, argument or bad experience it
overlaps). Control logs plant nothing, so everything they claim is unsupported."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from assistant.sentiment.importers import open_log, parse_time, read_messages
from assistant.sentiment.models import Alert, Summary
from evals.dataset import Dataset, files
from evals.report import table
from evals.suite import Options, Ratio, Row, Scorer, Suite, Target

if TYPE_CHECKING:
    from assistant.services import Services

DEFAULT_DATA = Path(__file__).parent / "data" / "summaries"
#: An alert this close to a planted window counts as overlapping it (bursts start early).
SLACK = timedelta(minutes=30)
#: Planted kinds that can back a negative spike: people were upset at that time.
UPSET = ("complaint_cluster", "heated_argument", "unanswered_complaint", "at_risk_member")


def _t(value: str) -> datetime:
    return parse_time(value)


def _overlaps(alert: Alert, start: datetime, end: datetime) -> bool:
    return alert.time <= end + SLACK and (alert.end or alert.time) >= start - SLACK


def _mentions(alert: Alert, keywords: list[str]) -> bool:
    texts = [alert.topic or "", *(q.text for q in alert.evidence)]
    return any(k in t for k in keywords for t in texts)


def surfaced(fact: dict[str, Any], summary: Summary) -> bool:
    kind = fact["kind"]
    alerts = [a for a in summary.alerts if a.kind == kind]
    if kind == "at_risk_member":
        return any(r.member == fact["member"] for r in summary.at_risk)
    if kind == "complaint_cluster":
        return any(any(k in c.topic or any(k in q.text for q in c.examples) for k in fact["keywords"])
                   for c in summary.complaints)  # fmt: skip
    if kind == "unanswered_complaint":
        return any(fact["member"] in a.members and any(fact.get("text_contains", "") in q.text for q in a.evidence)
                   for a in alerts)  # fmt: skip
    start, end = _t(fact["from"]), _t(fact["to"])
    if kind == "risk_wave":
        members = set(fact["members"])
        return any(_overlaps(a, start, end) and (a.category == fact["category"] or members & set(a.members))
                   for a in alerts)  # fmt: skip
    if kind == "heated_argument":
        return any(_overlaps(a, start, end) and len(set(a.members) & set(fact["members"])) >= 2 for a in alerts)
    return any(_overlaps(a, start, end) for a in alerts)  # positive_peak


def supported(alert: Alert, planted: list[dict[str, Any]]) -> bool:
    for fact in planted:
        kind = fact["kind"]
        if kind == "complaint_cluster" and alert.kind in ("complaint_cluster", "negative_spike"):
            if _mentions(alert, fact["keywords"]):
                return True
        elif kind in ("at_risk_member", "unanswered_complaint"):
            if (
                alert.kind in ("negative_spike", "complaint_cluster", "unanswered_complaint")
                and fact["member"] in alert.members
            ):
                return True
        elif kind == "heated_argument" and alert.kind == "risk_wave" and alert.category in ("abuse", "hate"):
            if _overlaps(alert, _t(fact["from"]), _t(fact["to"])):
                return True  # insults traded in the quarrel are that quarrel's risk wave
        elif (kind == alert.kind or (alert.kind == "negative_spike" and kind in UPSET)) and _overlaps(
            alert, _t(fact["from"]), _t(fact["to"])
        ):
            return True
    return False


def score_log(summary: Summary, facts: dict[str, Any]) -> dict[str, Any]:
    planted = facts.get("planted", [])
    found = [{"kind": f["kind"], "surfaced": surfaced(f, summary)} for f in planted]
    planted_members = {f["member"] for f in planted if f["kind"] == "at_risk_member"}
    unsupported = [f"{a.kind}@{a.time:%m-%d %H:%M}:{','.join(a.members[:3])}" for a in summary.alerts
                   if not supported(a, planted)]  # fmt: skip
    unsupported += [f"at_risk:{r.member}" for r in summary.at_risk if r.member not in planted_members]
    staff_at_risk = sorted({r.member for r in summary.at_risk} & set(facts.get("staff", [])))
    return {"planted": found, "unsupported": unsupported, "staff_at_risk": staff_at_risk}


class LogCase(BaseModel):
    """One authored chat log (``logNN.jsonl``) and what was planted in it (``logNN.facts.json``)."""

    id: str
    log: Path
    staff: list[str] = Field(default_factory=list)
    planted: list[dict[str, Any]] = Field(default_factory=list)
    notes: str = ""


def load(folder: Path) -> Dataset[LogCase]:
    """Every ``log*.jsonl`` of ``folder`` with its facts file; a log whose facts are missing or
    malformed is reported and the rest are read."""
    cases, errors = [], []
    for log in files(folder, "log*.jsonl"):
        facts_file = log.with_name(log.stem + ".facts.json")
        try:
            facts = json.loads(facts_file.read_text(encoding="utf-8"))
            cases.append(LogCase.model_validate({**facts, "id": log.stem, "log": log}))
        except (OSError, json.JSONDecodeError, ValidationError) as exc:
            errors.append(f"{facts_file}: {str(exc).splitlines()[0]}")
    return Dataset(path=folder, cases=cases, errors=errors)


def _build(services: Services, _options: Options) -> Target:
    def run(cases: Sequence[LogCase]) -> list[Row]:
        rows = []
        for case in cases:
            began = time.perf_counter()
            with open_log(str(case.log)) as fh:
                summary = services.sentiment.summarize(read_messages(fh), case.staff)
            seconds = round(time.perf_counter() - began, 3)
            scored = score_log(summary, {"staff": case.staff, "planted": case.planted})
            rows.append({"seconds": seconds, "control": not case.planted, "facts": scored.pop("planted"), **scored})
        return rows

    return run


def _metrics(cases: list[dict[str, Any]]) -> dict[str, Any]:
    facts = [f for c in cases for f in c["facts"]]
    by_kind: dict[str, list[bool]] = {}
    for f in facts:
        by_kind.setdefault(f["kind"], []).append(f["surfaced"])
    return {
        "logs": len(cases),
        "control_logs": sum(c["control"] for c in cases),
        "planted_facts": len(facts),
        "surfaced_rate": round(sum(f["surfaced"] for f in facts) / max(len(facts), 1), 4),
        "by_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_kind.items())},
        "unsupported_claims": sum(len(c["unsupported"]) for c in cases),
        "staff_at_risk": sum(len(c["staff_at_risk"]) for c in cases),
    }


def _markdown(header: dict[str, Any], metrics: dict[str, Any], cases: list[dict[str, Any]]) -> str:
    rows = [[c["id"], " ".join(f"{f['kind']}:{'✓' if f['surfaced'] else '✗'}" for f in c["facts"]) or "control",
             "; ".join(c["unsupported"]), ",".join(c["staff_at_risk"])] for c in cases]  # fmt: skip
    return "\n\n".join([
        f"# Summaries eval — {header['created']}",
        f"data `{header['dataset']}`, commit `{header['git_commit']}`",
        f"planted facts surfaced **{metrics['surfaced_rate']}** of {metrics['planted_facts']}; "
        f"unsupported claims **{metrics['unsupported_claims']}**; staff at risk {metrics['staff_at_risk']}",
        table(rows, ["log", "planted", "unsupported claims", "staff at risk"]),
    ]) + "\n"  # fmt: skip


def _counts(case: LogCase, actual: Row) -> dict[str, float]:
    return {
        "planted": float(len(actual["facts"])),
        "surfaced": float(sum(f["surfaced"] for f in actual["facts"])),
        "unsupported": float(len(actual["unsupported"])),
        "staff_at_risk": float(len(actual["staff_at_risk"])),
    }


def _passed(scores: dict[str, float]) -> bool:
    return scores["surfaced"] == scores["planted"] and not scores["unsupported"] and not scores["staff_at_risk"]


SUITE: Suite[LogCase] = Suite(
    name="summaries",
    title="Summaries",
    case_model=LogCase,
    default_data=DEFAULT_DATA,
    expected_fields=("planted", "staff"),
    build=_build,
    scorers=(Scorer("counts", _counts),),
    headline=(
        Ratio("surfaced_rate", "surfaced", "planted"),
        Ratio("unsupported_claims", "unsupported", higher_is_better=False),
        Ratio("staff_at_risk", "staff_at_risk", higher_is_better=False),
    ),
    passed=_passed,
    details=_metrics,
    markdown=_markdown,
    load=load,
    uploadable=False,
)
