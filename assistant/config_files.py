"""Per-community YAML settings (moderation policy, answering policy): validated by their
pydantic model, re-read only when the file changes. An operator's edit applies to the next
message without a restart, and a question does not pay for a YAML parse."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def load_yaml_model(model: type[M], path: Path | None) -> M:
    """The file's settings, or the model's defaults when there is no file."""
    if path is None:
        return model()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return model()
    return _parsed(model, path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _parsed(model: type[M], path: Path, mtime_ns: int, size: int) -> M:
    """Keyed by modification time and size, so a changed file is parsed again."""
    return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
