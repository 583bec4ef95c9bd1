"""Recorded model runs at the ``ChatModel`` seam, so an LLM engine can be evaluated without an
LLM: ``RecordingChatModel`` writes every request (messages + output schema) and what the model
gave back (the validated output, or the failure the engine fell back on); ``ReplayChatModel``
serves them back offline and fails loudly on a request that was never recorded, so a changed
prompt cannot silently replay stale answers.

Only messages, schema names, outputs and the tokens the model reported are written: the
wrapper never sees the client, its key or its headers. Replayed calls count the recorded
tokens; a recording made before tokens were recorded gives unknown (None) sums, not 0."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.llm.base import ChatModel, LLMUnavailable, T, Usage, usage_of

REQUESTS = "requests.jsonl"
#: A shipped recording may be gzipped (the prompts repeat: 2.5 MB → ~0.2 MB).
REQUESTS_GZ = "requests.jsonl.gz"
MODEL = "model.json"


class NotRecorded(RuntimeError):
    """A replayed run asked for something the recording does not hold. Not ``LLMUnavailable``:
    a fallback would hide that the recording no longer matches the prompts."""


def request_key(messages: list[dict[str, str]], schema: type[Any]) -> str:
    body = json.dumps({"schema": schema.__name__, "messages": messages}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass
class RecordingChatModel:
    """Passes every call to ``inner`` and appends it to ``folder/requests.jsonl``."""

    inner: ChatModel
    folder: Path
    usage: Usage = field(default_factory=Usage)
    _seen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / MODEL).write_text(json.dumps({"model": self.inner.name}), encoding="utf-8")
        (self.folder / REQUESTS).write_text("", encoding="utf-8")

    @property
    def name(self) -> str:
        return self.inner.name

    def complete(self, messages: list[dict[str, str]], schema: type[T]) -> T:
        key = request_key(messages, schema)
        entry: dict[str, Any] = {"key": key, "schema": schema.__name__, "messages": messages}
        counter = usage_of(self.inner)
        before = counter.copy() if counter else None
        try:
            output = self.inner.complete(messages, schema)
        except LLMUnavailable as exc:
            self._write(key, {**entry, "error": str(exc), **self._used(counter, before)})
            raise
        self._write(key, {**entry, "output": output.model_dump(mode="json"), **self._used(counter, before)})
        return output

    def _used(self, counter: Usage | None, before: Usage | None) -> dict[str, Any]:
        """``{"usage": {...}}`` for the entry (tokens of this call), counted here too; nothing
        when the inner model keeps no count."""
        if counter is None or before is None:
            self.usage.add(None, None)
            return {}
        used = counter.since(before)
        tokens = {"prompt_tokens": used["prompt_tokens"], "completion_tokens": used["completion_tokens"]}
        self.usage.add(tokens["prompt_tokens"], tokens["completion_tokens"])
        return {"usage": tokens}

    def _write(self, key: str, entry: dict[str, Any]) -> None:
        if key in self._seen:  # temperature 0: the first answer to a request is the answer
            return
        self._seen.add(key)
        with (self.folder / REQUESTS).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


class ReplayChatModel:
    """Answers from a recording; an unrecorded request raises ``NotRecorded``."""

    def __init__(self, folder: Path) -> None:
        meta = json.loads((folder / MODEL).read_text(encoding="utf-8")) if (folder / MODEL).is_file() else {}
        self.name = str(meta.get("model", "replay"))
        self.folder = folder
        self.usage = Usage()
        self._entries: dict[str, dict[str, Any]] = {}
        for line in _lines(folder):
            if line.strip():
                entry = json.loads(line)
                self._entries.setdefault(entry["key"], entry)

    def complete(self, messages: list[dict[str, str]], schema: type[T]) -> T:
        entry = self._entries.get(request_key(messages, schema))
        if entry is None:
            preview = messages[-1]["content"][:80] if messages else ""
            raise NotRecorded(f"{self.folder}: no recorded {schema.__name__} request like {preview!r}")
        tokens = entry.get("usage") or {}
        self.usage.add(tokens.get("prompt_tokens"), tokens.get("completion_tokens"))
        if "error" in entry:
            raise LLMUnavailable(entry["error"])
        return schema.model_validate(entry["output"])


def _lines(folder: Path) -> list[str]:
    if (folder / REQUESTS).is_file():
        return (folder / REQUESTS).read_text(encoding="utf-8").splitlines()
    if (folder / REQUESTS_GZ).is_file():
        return gzip.decompress((folder / REQUESTS_GZ).read_bytes()).decode("utf-8").splitlines()
    raise FileNotFoundError(f"no recording in {folder} (expected {REQUESTS} or {REQUESTS_GZ})")
