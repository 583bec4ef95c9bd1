"""Moderation and evasion suites: per-category precision/recall/F1, risky/benign F1, confusion
matrix, false positives, latency; the evasion suite adds catch rate by technique and look-alike
false alarms; ``--benign FILE`` adds the false-alarm budget on ordinary traffic (per 1,000
messages, by category and check, and the rules or n-grams behind the most false alarms)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.moderation.engine import Moderator
from assistant.moderation.models import CATEGORIES, Evidence, Source, Verdict
from assistant.moderation.normalize import normalize
from evals.dataset import load_jsonl
from evals.metrics import latency_ms, prf
from evals.report import table
from evals.suite import Options, Ratio, Row, Scorer, Suite, Target, flag

if TYPE_CHECKING:
    from assistant.services import Services

DEFAULT_DATA = Path(__file__).parent / "data" / "moderation.jsonl"
EVASION_DATA = Path(__file__).parent / "data" / "moderation_evasion.jsonl"
BATCH = 256
#: Messages also timed one at a time (the latency a single API call sees).
SINGLE_TIMED = 300
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
    for expected, predicted in map(_labels, cases):
        matrix[expected][predicted] += 1
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


# ---- the suites ---------------------------------------------------------------------------


def _build(services: Services, options: Options) -> Target:
    moderator = services.moderation.moderator(options.community)

    def run(cases: Sequence[ModerationCase]) -> list[Row]:
        moderator.moderate("预热")
        rows: list[Row] = []
        for start in range(0, len(cases), BATCH):
            chunk = cases[start : start + BATCH]
            began = time.perf_counter()
            by_source = {
                s: moderator.moderate_many([c.text for c in chunk if c.source == s], s)
                for s in dict.fromkeys(c.source for c in chunk)
            }  # a case is read as who posted it
            per_message = (time.perf_counter() - began) / max(len(chunk), 1)
            verdicts = [by_source[c.source].pop(0) for c in chunk]
            rows += [{"predicted_risky": v.risky, "predicted": v.categories, "action": v.action,
                      "rules": sorted({e.rule for e in v.evidence})[:5], "seconds": per_message}
                     for v in verdicts]  # fmt: skip
        for row, case in zip(rows[:SINGLE_TIMED], cases, strict=False):
            began = time.perf_counter()
            moderator.moderate(case.text, case.source)
            row["single_seconds"] = time.perf_counter() - began
        return rows

    return run


def _extra(services: Services, options: Options) -> dict[str, Any]:
    """The false-alarm budget on ``--benign`` ordinary traffic, when given."""
    if options.benign is None:
        return {}
    return {"false_alarms": false_alarm_budget(services.moderation.moderator(options.community), options.benign)}


def _risky(case: ModerationCase, actual: Row) -> dict[str, float]:
    tp, fp = case.risky and actual["predicted_risky"], not case.risky and actual["predicted_risky"]
    fn = case.risky and not actual["predicted_risky"]
    right_category = bool(set(actual["predicted"]) & set(case.categories))
    return {"tp": flag(tp), "fp": flag(fp), "fn": flag(fn), "f1_numerator": 2 * flag(tp),
            "f1_denominator": 2 * flag(tp) + flag(fp) + flag(fn), "risky": flag(case.risky),
            "caught_right_category": flag(case.risky and right_category),
            "ok": flag(right_category if case.risky else not actual["predicted_risky"])}  # fmt: skip


def _details(rows: list[Row]) -> dict[str, Any]:
    return _metrics(rows, [r["single_seconds"] for r in rows if "single_seconds" in r])


def _labels(row: Row) -> tuple[str, str]:
    expected = row["categories"][0] if row["categories"] else ("risky:unknown" if row["risky"] else "benign")
    return expected, row["predicted"][0] if row["predicted"] else "benign"


def _suite(name: str, title: str, data: Path, headline: tuple[Ratio, ...]) -> Suite[ModerationCase]:
    return Suite(
        name=name, title=title, case_model=ModerationCase, default_data=data,
        expected_fields=("risky", "categories"), build=_build, scorers=(Scorer("risky", _risky),),
        headline=headline, passed=lambda scores: scores["ok"] == 1, details=_details,
        markdown=_markdown, labels=_labels, extra=_extra,
    )  # fmt: skip


RISKY_F1 = Ratio("risky.f1", "f1_numerator", "f1_denominator")
MODERATION = _suite("moderation", "Moderation", DEFAULT_DATA, (RISKY_F1,))
EVASION = _suite(
    "evasion", "Moderation evasion", EVASION_DATA,
    (Ratio("evasion.caught_right_category", "caught_right_category", "risky"), RISKY_F1),
)  # fmt: skip
