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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from assistant.sentiment.importers import open_log, parse_time, read_messages
from assistant.sentiment.models import Alert, Summary
from assistant.sentiment.service import SentimentService
from evals.report import run_header, table, write_run

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


def run(service: SentimentService, data: Path = DEFAULT_DATA, report_dir: Path | None = None) -> dict[str, Any]:
    cases = []
    for log in sorted(data.glob("log*.jsonl")):
        facts = json.loads(log.with_name(log.stem + ".facts.json").read_text(encoding="utf-8"))
        began = time.perf_counter()
        with open_log(str(log)) as fh:
            summary = service.summarize(read_messages(fh), facts.get("staff", []))
        seconds = round(time.perf_counter() - began, 3)
        cases.append(
            {"log": log.name, "seconds": seconds, "control": not facts.get("planted"), **score_log(summary, facts)}
        )
    metrics = _metrics(cases)
    if report_dir is not None:
        header = run_header("summaries", data, f"{len(cases)} logs", engine="offline")
        write_run(report_dir, header, metrics, cases, _markdown(header, metrics, cases))
    return metrics


def _metrics(cases: list[dict[str, Any]]) -> dict[str, Any]:
    facts = [f for c in cases for f in c["planted"]]
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
    rows = [[c["log"], " ".join(f"{f['kind']}:{'✓' if f['surfaced'] else '✗'}" for f in c["planted"]) or "control",
             "; ".join(c["unsupported"]), ",".join(c["staff_at_risk"])] for c in cases]  # fmt: skip
    return "\n\n".join([
        f"# Summaries eval — {header['created']}",
        f"data `{header['dataset']}`, commit `{header['git_commit']}`",
        f"planted facts surfaced **{metrics['surfaced_rate']}** of {metrics['planted_facts']}; "
        f"unsupported claims **{metrics['unsupported_claims']}**; staff at risk {metrics['staff_at_risk']}",
        table(rows, ["log", "planted", "unsupported claims", "staff at risk"]),
    ]) + "\n"  # fmt: skip
