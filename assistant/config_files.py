"""Per-community YAML settings (moderation policy, answering policy): validated by their
pydantic model, re-read only when the file changes. An operator's edit applies to the next
message without a restart, and a question does not pay for a YAML parse."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigFileError(ValueError):
    """A settings file that cannot be used, with the file and every reason. Nothing falls back
    to defaults: a community whose policy is broken must not be moderated by another one."""

    def __init__(self, path: Path, reasons: list[str]) -> None:
        #: The file as operators name it (``moderation/club.yaml``): never the server's full path.
        self.name = f"{path.parent.name}/{path.name}"
        super().__init__(f"invalid settings file {self.name}: {'; '.join(reasons)}")
        self.path, self.reasons = path, reasons


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
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigFileError(path, [f"not readable as UTF-8 YAML: {' '.join(str(exc).split())}"]) from exc
    if not isinstance(data, dict):
        raise ConfigFileError(path, [f"must be a mapping of settings, not {type(data).__name__}"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        reasons = [f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors()]
        raise ConfigFileError(path, reasons) from exc
