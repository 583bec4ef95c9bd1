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


def bars(run: Run, suite: Suite[Any]) -> list[dict[str, Any]]:
    """Headline rates as bars with their interval (counts are not on a 0–1 scale: left out)."""
    rates = {m.name for m in suite.headline if m.denominator is not None}
    return [{"name": name, "value": h["value"], "low": h["ci95"][0], "high": h["ci95"][1]}
            for name, h in run.metrics["headline"].items() if name in rates]  # fmt: skip


def breakdowns(metrics: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """The suite's per-category / per-style / per-group tables: every metric (at any depth,
    named by its dotted path) that maps names to numbers or to flat records of numbers, or
    lists (name, number) pairs, as rows × columns; a nested metric's own numbers are a table too."""
    out = {}
    own = {k: v for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    if prefix and own:
        out[prefix.rstrip(".")] = {"columns": ["value"], "rows": {k: [v] for k, v in own.items()}}
    for name, value in metrics.items():
        key = prefix + name
        if name == "headline" or not value:
            continue
        if isinstance(value, list) and all(_pair(v) for v in value):
            out[key] = {"columns": ["value"], "rows": {str(k): [v] for k, v in value}}
        if not isinstance(value, dict):
            continue
        inner = list(value.values())
        if all(isinstance(v, dict) and v and all(isinstance(x, int | float) for x in v.values()) for v in inner):
            columns = list(dict.fromkeys(k for v in inner for k in v))
            out[key] = {"columns": columns, "rows": {k: [v.get(c, "") for c in columns] for k, v in value.items()}}
        elif all(isinstance(v, int | float) for v in inner) and (len(inner) > 1 or prefix):
            out[key] = {"columns": ["value"], "rows": {k: [v] for k, v in value.items()}}
        else:
            out.update(breakdowns(value, key + "."))
    return out


def _pair(value: object) -> bool:
    return isinstance(value, list | tuple) and len(value) == 2 and isinstance(value[1], int | float)


def render(run: Run, suite: Suite[Any]) -> str:
    comparison = run.comparison or {}
    return _env.get_template("report.html").render(
        title=suite.title, header=run.header, metrics=run.metrics, headline=run.metrics["headline"],
        bars=bars(run, suite), breakdowns=breakdowns(run.metrics), comparison=run.comparison, gate=run.gate,
        confusion=confusion(run, suite),
        cases=run.cases, newly_failing=set(comparison.get("newly_failing", [])),
        newly_passing=set(comparison.get("newly_passing", [])),
    )  # fmt: skip
