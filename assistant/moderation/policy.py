"""Per-community moderation policy: own keywords and allow-list, thresholds and actions.

Stored as ``<data_dir>/moderation/<community>.yaml`` (or given in code); the verdict records a
hash of the policy so a decision can be traced to the rules in force."""

from __future__ import annotations

import hashlib
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.moderation.models import CATEGORIES, Action, Severity

#: What a category costs a community when it gets through (before score adjustments).
BASE_SEVERITY: dict[str, Severity] = {
    "politics": "high", "sexual": "high", "violence": "high", "fraud": "high", "illegal": "high",
    "hate": "medium", "abuse": "medium", "spam_ads": "medium", "rumor": "medium", "privacy": "medium",
    "infringement": "medium", "self_harm": "high", "ad_law": "low", "other": "medium",
}  # fmt: skip


DEFAULT_ACTIONS: dict[Severity, Action] = {
    "none": "allow",
    "low": "review",
    "medium": "delete",
    "high": "delete_and_warn",
}
DEFAULT_CATEGORY_ACTIONS: dict[str, Action] = {"self_harm": "review"}


class Policy(BaseModel):
    """Defaults are a sensible starting point for a brand or learning group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keywords: dict[str, list[str]] = Field(default_factory=dict, description="Extra terms per category.")
    allow: list[str] = Field(default_factory=list, description="Phrases never flagged (brand names, products).")
    threshold: float = Field(0.5, ge=0, le=1, description="Score at which a category is flagged.")
    thresholds: dict[str, float] = Field(default_factory=dict, description="Per-category overrides.")
    model_only_threshold: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Score needed when no rule (term, pattern) supports the category. The classifier's "
        "heads are calibrated so 0.5 is their best cut (raising this to 0.7 cost 5 points of recall on the "
        "eval set); communities that want models to count less can raise it.",
    )
    actions: dict[Severity, Action] = Field(default_factory=lambda: dict(DEFAULT_ACTIONS))
    category_actions: dict[str, Action] = Field(
        default_factory=lambda: dict(DEFAULT_CATEGORY_ACTIONS),
        description="Overrides by category: a member in crisis needs a person, not a deletion.",
    )

    @model_validator(mode="after")
    def _known_categories(self) -> Policy:
        for name in ("keywords", "thresholds", "category_actions"):
            unknown = set(getattr(self, name)) - set(CATEGORIES)
            if unknown:
                raise ValueError(f"{name}: unknown categories {sorted(unknown)}; known: {list(CATEGORIES)}")
        return self

    def threshold_for(self, category: str, model_only: bool = False) -> float:
        base = self.thresholds.get(category, self.threshold)
        return max(base, self.model_only_threshold) if model_only else base

    @cached_property
    def version(self) -> str:
        """Hash of the settings, stamped on every verdict (frozen, so computed once)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]


#: A category score below this is weak evidence: a lower severity, and a question to hand to
#: a person rather than refuse (when no rule supports it).
STRONG_EVIDENCE = 0.7


def severity_of(categories: list[str], scores: dict[str, float]) -> Severity:
    """Worst base severity among flagged categories, one step lower when the evidence is weak."""
    order = ("none", "low", "medium", "high")
    worst = 0
    for category in categories:
        level = order.index(BASE_SEVERITY[category])
        if scores.get(category, 0.0) < STRONG_EVIDENCE:
            level = max(1, level - 1)
        worst = max(worst, level)
    return order[worst]  # type: ignore[return-value]
