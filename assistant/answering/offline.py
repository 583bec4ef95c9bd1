"""The offline engine: a confident FAQ match is answered with its curated answer verbatim;
several close matches get a clarifying question; anything else goes to a person."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.answering.models import Decision
from assistant.answering.policy import AnsweringPolicy
from assistant.retrieval.models import SearchHit


@dataclass(frozen=True)
class Plan:
    decision: Decision
    hits: list[SearchHit]
    reason: str | None = None


def plan(hits: Sequence[SearchHit], policy: AnsweringPolicy) -> Plan:
    """answer: the top entry clears ``answer_threshold`` and no other is within
    ``clarify_margin`` of it; clarify: entries above ``clarify_threshold`` are close (or the
    only candidate is not sure enough to answer outright); handoff: nothing clears it."""
    if not hits or hits[0].confidence < policy.clarify_threshold:
        best = f"{hits[0].confidence:.2f}" if hits else "none"
        return Plan("handoff", [], f"no knowledge entry matches the question (best confidence {best})")
    top = hits[0].confidence
    close = [
        h for h in hits if h.confidence >= policy.clarify_threshold and top - h.confidence <= policy.clarify_margin
    ]
    if top >= policy.answer_threshold and len(close) == 1:
        return Plan("answer", [hits[0]])
    return Plan("clarify", close[: policy.max_options] if len(close) > 1 else [hits[0]], "several entries could apply")


class UnsafeSlot(ValueError):
    """The curated answer has a slot we have no safe value for."""


def fill_slots(answer: str, values: Mapping[str, str]) -> str:
    """Fills ``{slot}`` placeholders from known values only; any other slot means the answer
    cannot be sent as is (raises ``UnsafeSlot``) — a guessed value would be an invented fact."""
    fields = {name for _, name, _, _ in string.Formatter().parse(answer) if name}
    if not fields:
        return answer
    unknown = fields - set(values)
    if unknown:
        raise UnsafeSlot(f"the curated answer needs {sorted(unknown)}, which the request does not give")
    return answer.format_map(dict(values))
