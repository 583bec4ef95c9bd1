"""The LLM narrative: the model gets the computed aggregates and sampled quotes (fenced) and
writes the summary. It may cite only quotes it was shown; a time it mentions must be one of
theirs. Anything else is ``LLMUnavailable`` and the offline narrative is used."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, Field

from assistant.llm.base import ChatModel, LLMUnavailable
from assistant.prompts import Prompt
from assistant.sentiment.models import Quote, Summary

MAX_QUOTES = 20
_CLOCK = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)")


class Narrative(BaseModel):
    summary: str = Field(description="3–8 Chinese sentences for the operator.")
    quotes_used: list[int] = Field(default_factory=list, description="Indexes of the quotes cited.")


def sampled_quotes(summary: Summary) -> list[Quote]:
    """Alert evidence first, then complaint examples and members at risk, without repeats."""
    pool = [q for a in summary.alerts for q in a.evidence[:2]]
    pool += [q for c in summary.complaints for q in c.examples[:1]]
    pool += [q for r in summary.at_risk for q in r.evidence[-1:]]
    unique = {(q.time, q.sender, q.text): q for q in pool}
    return list(unique.values())[:MAX_QUOTES]


def aggregates(summary: Summary) -> str:
    keep = summary.model_dump(mode="json", include={"messages", "members", "window", "sentiment", "activity",
                                                    "topics", "risky", "health", "segments"})  # fmt: skip
    keep["sentiment"].pop("trend", None)
    keep["health"].pop("by_day", None)
    keep["complaints"] = [{"topic": c.topic, "count": c.count, "members": c.members} for c in summary.complaints]
    keep["alerts"] = [{"kind": a.kind, "time": a.time.isoformat(), "members": a.members, "detail": a.detail}
                      for a in summary.alerts]  # fmt: skip
    keep["at_risk"] = [{"member": r.member, "reasons": r.reasons} for r in summary.at_risk]
    return json.dumps(keep, ensure_ascii=False)


def write(model: ChatModel, prompt: Prompt, summary: Summary) -> str:
    quotes = sampled_quotes(summary)
    shown = "\n".join(f"[{i}] {q.time:%Y-%m-%d %H:%M} {q.sender}：{q.text}" for i, q in enumerate(quotes)) or "（无）"
    narrative = model.complete(prompt.render(aggregates=aggregates(summary), quotes=shown), Narrative)
    if not narrative.summary.strip():
        raise LLMUnavailable("the model returned an empty summary")
    if any(not 0 <= i < len(quotes) for i in narrative.quotes_used):
        raise LLMUnavailable(f"summary cites quotes it was not shown: {narrative.quotes_used}")
    known = {f"{q.time:%H:%M}" for q in quotes} | {summary.window["start"][11:16], summary.window["end"][11:16]}
    invented = {f"{int(h):02d}:{m}" for h, m in _CLOCK.findall(narrative.summary)} - known
    if invented:
        raise LLMUnavailable(f"summary mentions times no quote has: {sorted(invented)}")
    return narrative.summary.strip()
