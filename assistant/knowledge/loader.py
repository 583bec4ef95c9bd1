"""Reads FAQ (YAML/JSONL), scripts (Markdown + front matter) and community profiles (YAML).

A bad file or line is reported with its file, line and reason, and never stops the rest:
an operator fixing one typo should not lose the other 149 entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.knowledge.models import CommunityProfile, FaqEntry, KnowledgeItem, Script

FAQ_SUFFIXES = {".yaml", ".yml", ".jsonl", ".json"}


@dataclass(frozen=True)
class LoadError:
    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


@dataclass
class LoadResult:
    items: list[KnowledgeItem] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # item id → file it came from
    communities: list[CommunityProfile] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def add(self, item: KnowledgeItem, file: str, line: int | None) -> None:
        if item.id in self.sources:
            self.errors.append(LoadError(file, line, f"duplicate id {item.id!r} (first in {self.sources[item.id]})"))
            return
        self.items.append(item)
        self.sources[item.id] = file


def load_knowledge(path: Path, community: str | None = None) -> LoadResult:
    """Loads a knowledge folder (``faq/``, ``scripts/``, ``communities/``) or a single file.

    ``community`` overrides every item's community: it is how an operator says "this file is
    for that group"."""
    result = LoadResult()
    if not path.exists():
        result.errors.append(LoadError(str(path), None, "no such file or folder"))
        return result
    for file, kind in _files(path):
        result.files.append(str(file))
        try:
            loader = {"faq": _load_faq_file, "script": _load_script_file, "community": _load_profile_file}[kind]
            loader(file, result, community)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            result.errors.append(LoadError(str(file), _yaml_line(exc), f"cannot read: {_first_line(exc)}"))
    return result


def _files(path: Path) -> Iterator[tuple[Path, str]]:
    if path.is_file():
        if path.suffix == ".md":
            yield path, "script"
        elif path.parent.name == "communities":
            yield path, "community"
        else:
            yield path, "faq"
        return
    for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        parts = file.relative_to(path).parts
        if file.suffix == ".md" and "README" not in file.name:
            yield file, "script"
        elif file.suffix in {".yaml", ".yml"} and "communities" in parts:
            yield file, "community"
        elif file.suffix in FAQ_SUFFIXES:
            yield file, "faq"


def _load_faq_file(file: Path, result: LoadResult, community: str | None) -> None:
    if file.suffix in {".jsonl", ".json"}:
        rows: list[tuple[int | None, Any]] = list(_jsonl_rows(file, result))
        default = None
    else:
        rows, default = _yaml_entries(file, result)
    for line, raw in rows:
        _add_validated(FaqEntry, raw, file, line, result, community or default)


def _jsonl_rows(file: Path, result: LoadResult) -> Iterator[tuple[int | None, Any]]:
    with file.open(encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                yield number, json.loads(text)
            except json.JSONDecodeError as exc:
                result.errors.append(LoadError(str(file), number, f"invalid JSON: {exc.msg}"))


def _yaml_entries(file: Path, result: LoadResult) -> tuple[list[tuple[int | None, Any]], str | None]:
    """Entries with their line numbers: a top-level list, or ``{community, entries: [...]}``."""
    text = file.read_text(encoding="utf-8")
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    data = yaml.safe_load(text)
    if data is None or node is None:
        return [], None
    if isinstance(data, dict) and "entries" in data:
        entries_node = next(v for k, v in node.value if k.value == "entries")
        default = data.get("community")
        data = data["entries"]
    else:
        entries_node, default = node, None
    if not isinstance(data, list):
        result.errors.append(LoadError(str(file), 1, "expected a list of entries or {community, entries: [...]}"))
        return [], None
    lines = [item.start_mark.line + 1 for item in entries_node.value]
    return list(zip(lines, data, strict=True)), default


def _load_script_file(file: Path, result: LoadResult, community: str | None) -> None:
    text = file.read_text(encoding="utf-8")
    if not text.startswith("---"):
        result.errors.append(LoadError(str(file), 1, "missing front matter (--- … ---)"))
        return
    _, front, body = text.split("---", 2) if text.count("---") >= 2 else (None, "", "")
    meta = yaml.safe_load(front)
    if not isinstance(meta, dict):
        result.errors.append(LoadError(str(file), 1, "front matter must be a mapping"))
        return
    meta.setdefault("id", file.stem)
    _add_validated(Script, {**meta, "body": body.strip("\n")}, file, 1, result, community or meta.get("community"))


def _load_profile_file(file: Path, result: LoadResult, community: str | None) -> None:
    raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    try:
        result.communities.append(CommunityProfile.model_validate(raw))
    except ValidationError as exc:
        result.errors.append(LoadError(str(file), 1, _reason(exc)))


def _add_validated(
    model: type[FaqEntry] | type[Script],
    raw: Any,
    file: Path,
    line: int | None,
    result: LoadResult,
    community: str | None,
) -> None:
    if not isinstance(raw, dict):
        result.errors.append(LoadError(str(file), line, "entry must be a mapping"))
        return
    if community is not None:
        raw = {**raw, "community": community}
    try:
        result.add(model.model_validate(raw), str(file), line)
    except ValidationError as exc:
        entry = raw.get("id", "?")
        result.errors.append(LoadError(str(file), line, f"entry {entry!r}: {_reason(exc)}"))


def _reason(exc: ValidationError) -> str:
    """Pydantic's errors as one readable line: ``field: message; field: message``."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors())


def _yaml_line(exc: Exception) -> int | None:
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
