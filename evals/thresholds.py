"""The gate: minimum (and maximum) metrics per suite from ``evals/thresholds.toml``, plus any
headline metric whose paired interval against a baseline lies wholly on the worse side."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).parent / "thresholds.toml"


def load(path: Path = DEFAULT) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def lookup(metrics: dict[str, Any], dotted: str) -> Any:
    """``risky.f1`` → metrics["risky"]["f1"]; a metric name may itself hold no dot."""
    value: Any = metrics
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(dotted)
        value = value[part]
    return value


def gate(suite: str, metrics: dict[str, Any], rules: dict[str, Any], comparison: dict[str, Any] | None) -> dict:
    """Every check with its value and rule; ``passed`` only when all hold. A threshold naming
    a metric the suite does not report fails: a renamed metric must not pass the gate silently."""
    checks = []
    for kind, op in (("min", ">="), ("max", "<=")):
        for name, bound in rules.get(suite, {}).get(kind, {}).items():
            try:
                value = lookup(metrics, name)
            except KeyError:
                checks.append({"metric": name, "value": None, "rule": f"{op} {bound}", "ok": False})
                continue
            ok = value >= bound if kind == "min" else value <= bound
            checks.append({"metric": name, "value": value, "rule": f"{op} {bound}", "ok": bool(ok)})
    for name, delta in (comparison or {}).get("deltas", {}).items():
        checks.append({"metric": name, "value": delta["delta"], "rule": "no regression vs baseline (95% CI)",
                       "ok": not delta["regressed"]})  # fmt: skip
    return {"passed": all(c["ok"] for c in checks), "checks": checks}
