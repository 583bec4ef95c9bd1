"""Writing a run: metrics.json, one line per case, and a Markdown report for reviewers."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def run_header(suite: str, dataset_path: Path, dataset_sha: str, engine: str) -> dict[str, Any]:
    """What makes two runs comparable: suite, data, engine and code version."""
    return {
        "suite": suite,
        "dataset": str(dataset_path),
        "dataset_sha256": dataset_sha,
        "engine": engine,
        "git_commit": git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_run(
    folder: Path, header: dict[str, Any], metrics: dict[str, Any], cases: Sequence[dict[str, Any]], markdown: str
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(
        json.dumps({**header, "metrics": metrics}, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    with (folder / "cases.jsonl").open("w", encoding="utf-8") as fh:
        for case in cases:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    (folder / "report.md").write_text(markdown, encoding="utf-8")


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |" for row in rows]
    return "\n".join(lines)
