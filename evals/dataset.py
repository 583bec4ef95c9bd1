"""Reading eval datasets (design.md §4 formats): every bad line is reported, none aborts."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

Case = TypeVar("Case", bound=BaseModel)


@dataclass
class Dataset(Generic[Case]):
    path: Path
    cases: list[Case]
    errors: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]


def load_jsonl(path: Path, model: type[Case]) -> Dataset[Case]:
    cases: list[Case] = []
    errors: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                cases.append(model.model_validate(json.loads(line)))
            except (json.JSONDecodeError, ValidationError) as exc:
                errors.append(f"{path}:{number}: {str(exc).splitlines()[0]}")
    return Dataset(path=path, cases=cases, errors=errors)
