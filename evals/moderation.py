"""Moderation suite: per-category precision/recall/F1, risky/benign F1, confusion matrix,
false positives, latency; the evasion suite adds catch rate by technique and look-alike
false alarms; ``--benign FILE`` adds the false-alarm budget on ordinary traffic."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.moderation.engine import Moderator
from assistant.moderation.models import CATEGORIES, SOURCES, Evidence, Source, Verdict
from assistant.moderation.normalize import normalize
from evals.dataset import load_jsonl
from evals.metrics import latency_ms, prf
from evals.report import run_header, table, write_run

DEFAULT_DATA = Path(__file__).parent / "data" / "moderation.jsonl"
BATCH = 256
#: Actions that remove a message.
REMOVING = frozenset({"delete", "delete_and_warn", "mute"})


class ModerationCase(BaseModel):
    id: str
    text: str
    risky: bool
    categories: list[str] = Field(default_factory=list)
    technique: str | None = None
    plain: str | None = None
    source: Source = "member"  # ad_law cases read as the community's own posts: "draft"


class BenignCase(BaseModel):
    """A line of ordinary traffic: every flag on it is a false alarm."""

    text: str


def run(
    moderator: Moderator, data: Path = DEFAULT_DATA, report_dir: Path | None = None, benign: Path | None = None
) -> dict[str, Any]:
    dataset = load_jsonl(data, ModerationCase)
    moderator.moderate("预热")
    cases = []
    ordered = sorted(dataset.cases, key=lambda c: SOURCES.index(c.source))  # one source per batch
    for start in range(0, len(ordered), BATCH):
        chunk = ordered[start : start + BATCH]
        began = time.perf_counter()
        verdicts = [
            v for source in dict.fromkeys(c.source for c in chunk)
            for v in moderator.moderate_many([c.text for c in chunk if c.source == source], source)
        ]  # fmt: skip
        per_message = (time.perf_counter() - began) / max(len(chunk), 1)
        for case, verdict in zip(chunk, verdicts, strict=True):
            cases.append({**case.model_dump(), "predicted_risky": verdict.risky, "predicted": verdict.categories,
                          "action": verdict.action, "rules": sorted({e.rule for e in verdict.evidence})[:5],
                          "seconds": per_message})  # fmt: skip
    single = [_time_one(moderator, c.text) for c in dataset.cases[:300]]
    metrics = _metrics(cases, single)
    metrics["dataset_errors"] = dataset.errors
    if benign is not None:
        metrics["false_alarms"] = false_alarm_budget(moderator, benign)
    if report_dir is not None:
        header = run_header("moderation", data, dataset.sha256, engine="offline")
        write_run(report_dir, header, metrics, cases, _markdown(header, metrics, cases))
    return metrics


def false_alarm_budget(moderator: Moderator, benign: Path) -> dict[str, Any]:
    """Per 1,000 ordinary messages: flagged and removed, by category and by the check that
    flagged, and the rules or n-grams behind the most false alarms."""
    dataset = load_jsonl(benign, BenignCase)
    texts = [c.text for c in dataset.cases if c.text.strip()]
    verdicts = [
        v for start in range(0, len(texts), BATCH) for v in moderator.moderate_many(texts[start : start + BATCH])
    ]
    per_1000 = 1000 / max(len(texts), 1)
    by_category: dict[str, Counter[str]] = defaultdict(Counter)
    by_check: Counter[str] = Counter()
    features: Counter[str] = Counter()
    for text, verdict in zip(texts, verdicts, strict=True):
        removed = (verdict.shadow_action or verdict.action) in REMOVING
        for category in verdict.categories:
            by_category[category].update(["flagged", *(["removed"] if removed else [])])
        by_check.update({c.name for c in verdict.checks if c.flagged and set(c.scores) & set(verdict.categories)})
        if verdict.risky and not _ruled(verdict):
            by_check["classifier_only"] += 1
        features.update(_behind(moderator, text, verdict))
    flagged = sum(v.risky for v in verdicts)
    removals = sum((v.shadow_action or v.action) in REMOVING for v in verdicts)
    return {
        "messages": len(texts),
        "flagged_per_1000": round(flagged * per_1000, 2),
        "removed_per_1000": round(removals * per_1000, 2),
        "by_category": {c: {k: round(n * per_1000, 2) for k, n in counts.items()}
                        for c, counts in sorted(by_category.items(), key=lambda kv: -kv[1]["flagged"])},
        "by_check": {name: round(n * per_1000, 2) for name, n in by_check.most_common()},
        "top_features": features.most_common(20),
        "dataset_errors": dataset.errors,
    }  # fmt: skip


def _rule_evidence(verdict: Verdict) -> list[Evidence]:
    return [e for c in verdict.checks if c.kind == "rule" for e in c.evidence if e.category in verdict.categories]


def _ruled(verdict: Verdict) -> bool:
    return bool(_rule_evidence(verdict))


def _behind(moderator: Moderator, text: str, verdict: Verdict) -> list[str]:
    """The rules that matched a false alarm, or the classifier's strongest n-grams for its categories."""
    ruled = _rule_evidence(verdict)
    suspected = [c for c in verdict.categories if c not in {e.category for e in ruled}]
    folded = normalize(text).text if suspected else ""
    grams = [
        f"{name}:{gram}"
        for name, model in moderator.classifiers.items()
        for category in suspected
        if category in model.labels
        for gram in model.top_features(folded, category)
    ]
    return [e.rule for e in ruled] + grams


def _time_one(moderator: Moderator, text: str) -> float:
    began = time.perf_counter()
    moderator.moderate(text)
    return time.perf_counter() - began


def _metrics(cases: list[dict[str, Any]], single: list[float]) -> dict[str, Any]:
    tp = sum(c["risky"] and c["predicted_risky"] for c in cases)
    fp = sum(not c["risky"] and c["predicted_risky"] for c in cases)
    fn = sum(c["risky"] and not c["predicted_risky"] for c in cases)
    per_category = {}
    for cat in CATEGORIES:
        ctp = sum(cat in c["categories"] and cat in c["predicted"] for c in cases)
        cfp = sum(cat not in c["categories"] and cat in c["predicted"] for c in cases)
        cfn = sum(cat in c["categories"] and cat not in c["predicted"] for c in cases)
        if ctp + cfn:
            per_category[cat] = {**prf(ctp, cfp, cfn), "support": ctp + cfn}
    metrics: dict[str, Any] = {
        "cases": len(cases),
        "risky": {**prf(tp, fp, fn), "support": tp + fn},
        "macro_f1": round(sum(v["f1"] for v in per_category.values()) / max(len(per_category), 1), 4),
        "per_category": per_category,
        "confusion": _confusion(cases),
        "latency_ms": {
            "batched_per_message": latency_ms([c["seconds"] for c in cases])["p50"],
            "single": latency_ms(single),
        },
    }
    if any(c.get("technique") for c in cases):
        metrics["evasion"] = _evasion(cases)
    return metrics


def _confusion(cases: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Expected primary category (or benign) → predicted primary category (or benign)."""
    matrix: dict[str, Counter[str]] = defaultdict(Counter)
    for c in cases:
        expected = c["categories"][0] if c["categories"] else ("risky:unknown" if c["risky"] else "benign")
        matrix[expected][c["predicted"][0] if c["predicted"] else "benign"] += 1
    return {k: dict(v) for k, v in sorted(matrix.items())}


def _evasion(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Caught = flagged in (one of) the right categories; false alarm = a look-alike flagged."""
    disguised = [c for c in cases if c["risky"]]
    lookalikes = [c for c in cases if not c["risky"]]
    by_technique: dict[str, list[bool]] = defaultdict(list)
    for c in disguised:
        by_technique[c["technique"] or "unknown"].append(bool(set(c["predicted"]) & set(c["categories"])))
    return {
        "disguised": len(disguised),
        "caught_right_category": round(sum(sum(v) for v in by_technique.values()) / max(len(disguised), 1), 4),
        "caught_any": round(sum(c["predicted_risky"] for c in disguised) / max(len(disguised), 1), 4),
        "by_technique": {t: round(sum(v) / len(v), 4) for t, v in sorted(by_technique.items())},
        "lookalikes": len(lookalikes),
        "false_alarm_rate": round(sum(c["predicted_risky"] for c in lookalikes) / max(len(lookalikes), 1), 4),
    }


def _markdown(header: dict[str, Any], metrics: dict[str, Any], cases: list[dict[str, Any]]) -> str:
    cats = table([[k, v["precision"], v["recall"], v["f1"], v["support"]] for k, v in metrics["per_category"].items()],
                 ["category", "precision", "recall", "F1", "support"])  # fmt: skip
    fps = [
        [c["id"], c["text"], ",".join(c["predicted"]), ",".join(c["rules"])]
        for c in cases
        if not c["risky"] and c["predicted_risky"]
    ]
    fns = [[c["id"], c["text"], ",".join(c["categories"])] for c in cases if c["risky"] and not c["predicted_risky"]]
    risky = metrics["risky"]
    return "\n\n".join([
        f"# Moderation eval — {header['created']}",
        f"dataset `{header['dataset']}` ({header['dataset_sha256']}), commit `{header['git_commit']}`",
        f"risky/benign: precision {risky['precision']}, recall {risky['recall']}, **F1 {risky['f1']}**; "
        f"macro-F1 over categories **{metrics['macro_f1']}**; latency {metrics['latency_ms']}",
        cats,
        f"## False positives ({len(fps)})", table(fps, ["id", "text", "predicted", "rules"]),
        f"## Missed risky messages ({len(fns)})", table(fns, ["id", "text", "expected"]),
        *_false_alarm_markdown(metrics.get("false_alarms")),
    ]) + "\n"  # fmt: skip


def _false_alarm_markdown(budget: dict[str, Any] | None) -> list[str]:
    if budget is None:
        return []
    by_category = [[c, v.get("flagged", 0), v.get("removed", 0)] for c, v in budget["by_category"].items()]
    return [
        f"## False alarms on ordinary traffic ({budget['messages']} messages)",
        f"per 1,000 messages: **{budget['flagged_per_1000']} flagged**, **{budget['removed_per_1000']} removed**",
        table(by_category, ["category", "flagged / 1,000", "removed / 1,000"]),
        table([[k, v] for k, v in budget["by_check"].items()], ["check", "flagged / 1,000"]),
        table(budget["top_features"], ["rule or classifier n-gram", "false alarms"]),
    ]
