"""A run against a saved baseline run folder: headline deltas with paired bootstrap intervals
over the cases both runs share, and the cases that started or stopped passing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals import stats
from evals.runner import Run
from evals.suite import Suite


class NotARun(ValueError):
    """The baseline folder is not a run written by ``--report`` of this suite."""


def load_baseline(folder: Path, suite: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(run.json, case id → case) of a baseline run folder."""
    try:
        header = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        lines = (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise NotARun(f"{folder} is not a run folder (missing {Path(str(exc.filename)).name})") from exc
    except json.JSONDecodeError as exc:
        raise NotARun(f"{folder}/run.json is not JSON: {exc.msg}") from exc
    if header.get("suite") != suite:
        raise NotARun(f"baseline {folder} is a {header.get('suite')!r} run, not {suite!r}")
    cases = [json.loads(line) for line in lines if line.strip()]
    return header, {c["id"]: c for c in cases}


def compare(run: Run, suite: Suite[Any], folder: Path) -> dict[str, Any]:
    header, before = load_baseline(folder, suite.name)
    now = {c["id"]: c for c in run.cases}
    shared = [i for i in now if i in before]
    deltas = {}
    for metric in suite.headline:
        paired = stats.paired_delta(metric, [now[i]["scores"] for i in shared], [before[i]["scores"] for i in shared])
        low, high = paired["ci95"]
        worse = high < 0 if metric.higher_is_better else low > 0
        deltas[metric.name] = {**paired, "regressed": bool(worse)}
    return {
        "baseline": str(folder),
        "baseline_commit": header.get("git_commit"),
        "same_dataset": header.get("dataset_sha256") == run.header["dataset_sha256"],
        "shared_cases": len(shared),
        "deltas": deltas,
        "newly_failing": [i for i in shared if before[i]["passed"] and not now[i]["passed"]],
        "newly_passing": [i for i in shared if not before[i]["passed"] and now[i]["passed"]],
    }
