"""report.html: one self-contained page (inline CSS, JS and SVG; nothing loaded when viewed)
with the headline metrics and their intervals, a chart, the baseline comparison, the gate,
a confusion matrix where the suite has labels, and every case in a filterable table."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from evals.suite import Suite

if TYPE_CHECKING:
    from evals.runner import Run

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
_env.filters["tojson_compact"] = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)


def confusion(run: Run, suite: Suite[Any]) -> dict[str, Any] | None:
    if suite.labels is None:
        return None
    pairs = Counter(suite.labels(row) for row in run.flat)
    expected = sorted({e for e, _ in pairs})
    actual = sorted({a for _, a in pairs})
    return {"expected": expected, "actual": actual, "cells": [[pairs[(e, a)] for a in actual] for e in expected]}


def bars(run: Run) -> list[dict[str, Any]]:
    """Headline rates as bars with their interval (counts are not on a 0–1 scale: left out)."""
    out = []
    for name, h in run.metrics["headline"].items():
        low, high = h["ci95"]
        if 0 <= low <= high <= 1 and 0 <= h["value"] <= 1:
            out.append({"name": name, "value": h["value"], "low": low, "high": high})
    return out


def render(run: Run, suite: Suite[Any]) -> str:
    comparison = run.comparison or {}
    return _env.get_template("report.html").render(
        title=suite.title, header=run.header, metrics=run.metrics, headline=run.metrics["headline"],
        bars=bars(run), comparison=run.comparison, gate=run.gate, confusion=confusion(run, suite),
        cases=run.cases, newly_failing=set(comparison.get("newly_failing", [])),
        newly_passing=set(comparison.get("newly_passing", [])),
    )  # fmt: skip
