"""Reading eval datasets (design.md §4 formats): every bad line is reported, none aborts.

A dataset is a JSONL file or a folder of them (read in name order); each line is validated
against a pydantic model or an annotated union of models."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

Case = TypeVar("Case", bound=BaseModel)


@dataclass
class Dataset(Generic[Case]):
    path: Path
    cases: list[Case]
    errors: list[str] = field(default_factory=list)


def files(path: Path, pattern: str = "*.jsonl") -> list[Path]:
    """The file itself, or the folder's files matching ``pattern`` in name order."""
    return sorted(path.glob(pattern)) if path.is_dir() else [path]


def sha256(path: Path) -> str:
    """Of a file's bytes, or of a folder's files (names and bytes, in name order)."""
    if not path.is_dir():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(item.relative_to(path)).encode("utf-8") + b"\0" + item.read_bytes())
    return digest.hexdigest()


def load_jsonl(path: Path, model: Any) -> Dataset[Any]:
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    cases: list[Any] = []
    errors: list[str] = []
    for source in files(path):
        with source.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    cases.append(adapter.validate_python(json.loads(line)))
                except (json.JSONDecodeError, ValidationError) as exc:
                    errors.append(f"{source}:{number}: {str(exc).splitlines()[0]}")
    return Dataset(path=path, cases=cases, errors=errors)
