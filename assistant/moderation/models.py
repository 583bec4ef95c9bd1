"""Moderation results: every verdict says what decided it (design.md §3)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

Category = Literal[
    "politics", "sexual", "violence", "fraud", "spam_ads", "rumor", "abuse",
    "hate", "illegal", "infringement", "privacy", "ad_law", "self_harm", "other",
]  # fmt: skip
#: ``other`` (其他风险): risky by a community's own model trained without categories.
CATEGORIES: tuple[str, ...] = get_args(Category)
Severity = Literal["none", "low", "medium", "high"]
Action = Literal["allow", "review", "delete", "delete_and_warn", "mute"]
SEVERITIES: tuple[str, ...] = get_args(Severity)
#: Who posted: a member's praise is not the community advertising itself (ad_law).
Source = Literal["member", "staff", "draft"]
SOURCES: tuple[str, ...] = get_args(Source)
Mode = Literal["enforce", "shadow"]


class Evidence(BaseModel):
    """A span of the posted text and why it matters."""

    start: int = Field(description="Offset into the original text (characters).")
    end: int
    text: str = Field(description="The original text of the span, as posted.")
    category: Category
    rule: str = Field(description="Which rule matched, e.g. lexicon:加微信 or pattern:phone.")


#: What kind of evidence a detector gives: a ``rule`` (a term, a pattern, a request phrase),
#: a ``model``'s probability, ``context`` that changes how the rest is read (a warning), or an
#: ``llm``'s second opinion. Decisions read the kind, never the detector's name.
DetectorKind = Literal["rule", "model", "context", "llm"]


class Check(BaseModel):
    """One detector's finding. ``error`` set means it could not run; it never means clean."""

    name: str
    kind: DetectorKind = "rule"
    flagged: bool
    scores: dict[str, float] = Field(default_factory=dict, description="Category → 0–1.")
    evidence: list[Evidence] = Field(default_factory=list)
    error: str | None = None


class Verdict(BaseModel):
    risky: bool
    categories: list[Category] = Field(description="Categories at or above their threshold, worst first.")
    scores: dict[str, float] = Field(description="Category → highest score any check gave.")
    severity: Severity
    action: Action
    evidence: list[Evidence]
    checks: list[Check]
    engine: str = Field(description="offline, or llm / llm→offline when the adjudicator ran.")
    policy_version: str
    source: Source = Field("member", description="Who posted it; categories apply by source (policy).")
    shadow_action: Action | None = Field(
        None, description="In shadow mode: the action enforcement would take (``action`` is then allow)."
    )
    reply: str | None = Field(None, description="A message for the poster, e.g. the care reply on self_harm.")
