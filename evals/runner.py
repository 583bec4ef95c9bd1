"""The one runner every suite goes through: load and validate the dataset, run the target,
score each case, aggregate, bootstrap the headline metrics, compare with a baseline, apply
the thresholds and write the run folder (run.json, cases.jsonl, report.md, report.html)."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.clock import Clock, utc_now
from assistant.llm.base import usage_of
from assistant.llm.recorded import ReplayChatModel
from evals import dataset as datasets
from evals import stats
from evals.suite import Options, Row, Suite

if TYPE_CHECKING:
    from assistant.services import Services
    from assistant.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    header: dict[str, Any]
    metrics: dict[str, Any]
    cases: list[Row]
    flat: list[Row]
    comparison: dict[str, Any] | None = None
    gate: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What ``shequn eval`` prints: the suite's metrics (names stable across versions),
        headline intervals, and the comparison and gate when asked for."""
        out: dict[str, Any] = dict(self.metrics)
        if self.comparison is not None:
            out["comparison"] = self.comparison
        if self.gate is not None:
            out["gate"] = self.gate
        return out


def execute(suite: Suite[Any], services: Services, data: Path | None = None, now: Clock = utc_now,
            options: Options | None = None) -> Run:  # fmt: skip
    """Runs ``suite`` on ``data`` (default: the shipped file) with the task built from ``services``."""
    path = data or suite.default_data
    options = options or Options(shipped=data is None)
    if suite.recording is not None:
        services = services.sharing(ReplayChatModel(suite.recording))
    dataset = suite.read(path)
    target = suite.build(services, options)
    counter = usage_of(services.chat_model) if suite.uses_llm else None
    before = counter.copy() if counter else None
    started = time.perf_counter()
    actuals = target(dataset.cases)
    seconds = time.perf_counter() - started
    cases, flat = [], []
    for case, actual in zip(dataset.cases, actuals, strict=True):
        scores = suite.score(case, actual)
        given, expected = suite.split(case)
        cases.append({"id": case.id, "input": given, "expected": expected, "actual": actual,  # type: ignore[attr-defined]
                      "scores": scores, "passed": bool(suite.passed(scores))})  # fmt: skip
        flat.append({**case.model_dump(mode="json"), **actual})
    metrics = suite.details(flat)
    if suite.extra is not None:
        metrics.update(suite.extra(services, options))
    metrics["headline"] = {m.name: stats.headline(m, [c["scores"] for c in cases]) for m in suite.headline}
    metrics["passed"] = sum(c["passed"] for c in cases)
    metrics["dataset_errors"] = dataset.errors
    header = _header(suite, services, path, flat, now)
    header["timing"] = {"seconds": round(seconds, 2), "per_case_ms": round(1000 * seconds / max(len(cases), 1), 2)}
    header["tokens"] = counter.since(before) if counter and before else None
    header["cost"] = cost(header["tokens"], services.settings)
    if suite.recording is not None:
        header["recording"] = {"replay": str(suite.recording)}
    return Run(header, metrics, cases, flat)


def cost(tokens: dict[str, Any] | None, settings: Settings) -> dict[str, Any] | None:
    """What the run's tokens cost at the configured prices per million (None when a price or a
    token count is unknown: an unknown cost is not a free one)."""
    prices = settings.llm_input_price, settings.llm_output_price
    if tokens is None or tokens["prompt_tokens"] is None or prices[0] is None or prices[1] is None:
        return None
    amount = (tokens["prompt_tokens"] * prices[0] + tokens["completion_tokens"] * prices[1]) / 1_000_000
    return {"amount": round(amount, 6), "input_price_per_million": prices[0], "output_price_per_million": prices[1]}


def _header(suite: Suite[Any], services: Services, path: Path, flat: list[Row], now: Clock) -> dict[str, Any]:
    """What makes two runs comparable: suite, data, engine, model, prompts, code, settings."""
    model = services.chat_model if suite.uses_llm else None
    settings = services.settings
    return {
        "suite": suite.name,
        "dataset": str(path),
        "dataset_sha256": datasets.sha256(path),
        "engine": "llm" if model is not None else "offline",
        "model": model.name if model is not None else None,
        "prompt_versions": sorted({r["prompt_version"] for r in flat if r.get("prompt_version")}),
        "git_commit": git_commit(),
        "settings": {name: _plain(getattr(settings, name)) for name in suite.settings},
        "created": now().isoformat(timespec="seconds"),
    }


def _plain(value: object) -> object:
    return value if isinstance(value, int | float | str | bool | type(None)) else str(value)


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=PROJECT_ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def write(run: Run, folder: Path, suite: Suite[Any]) -> None:
    """run.json, cases.jsonl, report.md and report.html in ``folder``."""
    from evals import html

    folder.mkdir(parents=True, exist_ok=True)
    record = {**run.header, "metrics": run.metrics, "comparison": run.comparison, "gate": run.gate}
    (folder / "run.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    with (folder / "cases.jsonl").open("w", encoding="utf-8") as fh:
        for case in run.cases:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    (folder / "report.md").write_text(markdown(run, suite), encoding="utf-8")
    (folder / "report.html").write_text(html.render(run, suite), encoding="utf-8")


def markdown(run: Run, suite: Suite[Any]) -> str:
    from evals.report import table

    head = table(
        [[name, h["value"], f"{h['ci95'][0]} – {h['ci95'][1]}"] for name, h in run.metrics["headline"].items()],
        ["headline metric", "value", "95% CI (bootstrap)"],
    )
    parts = [suite.markdown(run.header, run.metrics, run.flat).rstrip(), "## Headline metrics", head]
    if run.header.get("tokens"):
        tokens, cost = run.header["tokens"], run.header.get("cost")
        parts.append(f"Model calls {tokens['calls']}: {tokens['prompt_tokens']} prompt + {tokens['completion_tokens']} "
                     f"completion tokens; cost {cost['amount'] if cost else 'unknown (no price set)'}")  # fmt: skip
    if run.comparison:
        comp = run.comparison
        rows = [[k, d["delta"], f"{d['ci95'][0]} – {d['ci95'][1]}"] for k, d in comp["deltas"].items()]
        parts += [
            f"## Against baseline `{comp['baseline']}`",
            table(rows, ["metric", "delta", "95% CI (paired bootstrap)"]),
            f"Newly failing ({len(comp['newly_failing'])}): " + (", ".join(comp["newly_failing"]) or "none"),
            f"Newly passing ({len(comp['newly_passing'])}): " + (", ".join(comp["newly_passing"]) or "none"),
        ]
    if run.gate:
        failed = [c for c in run.gate["checks"] if not c["ok"]]
        parts += ["## Gate: " + ("passed" if run.gate["passed"] else f"FAILED ({len(failed)})"),
                  table([[c["metric"], c["value"], c["rule"], "ok" if c["ok"] else "FAIL"] for c in run.gate["checks"]],
                        ["metric", "value", "rule", ""])]  # fmt: skip
    return "\n\n".join(parts) + "\n"
