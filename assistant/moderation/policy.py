"""Per-community moderation policy: own keywords and allow-list, thresholds and actions.

Stored as ``<data_dir>/moderation/<community>.yaml`` (or given in code); the verdict records a
hash of the policy so a decision can be traced to the rules in force."""

from __future__ import annotations

import hashlib
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.moderation.models import CATEGORIES, Action, Mode, Severity, Source

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
#: Harshness order, for capping an action (a classifier-only suspicion goes no further than review).
ACTION_ORDER: tuple[Action, ...] = ("allow", "review", "delete", "delete_and_warn", "mute")
#: Ad-law terms (最/第一/没有之一) are a risk in what the community itself publishes, not in
#: a member's praise of a drink.
DEFAULT_IGNORED_BY_SOURCE: dict[Source, list[str]] = {"member": ["ad_law"]}
CARE_REPLY = (
    "看到你现在很难受，谢谢你愿意说出来。你并不孤单：群管理员会私下联系你，也可以和身边信任的人聊聊，"
    "或拨打心理援助热线 12356。"
)


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
    mode: Mode = Field(
        "enforce",
        description="shadow: every verdict's action is allow, with the action enforcement would take in "
        "shadow_action (and logged), so an operator can watch decisions before letting it delete anything.",
    )
    model_only_action: Action = Field(
        "review",
        description="The harshest action for a category only a classifier suspects (no term, no pattern): "
        "on real everyday chat 85% of false alarms came from the classifier alone.",
    )
    model_delete_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Per category, the classifier score at which a suspicion without rule evidence may still "
        "take its full action; set only where calibrated precision on benign traffic supports it "
        "(`shequn moderation calibrate`). Empty: a classifier alone never deletes.",
    )
    ignored_by_source: dict[Source, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_IGNORED_BY_SOURCE.items()},
        description="Categories not flagged for a source (member, staff, draft).",
    )
    care_reply: str = Field(CARE_REPLY, description="Sent back when self_harm is flagged (never deleted).")

    @model_validator(mode="after")
    def _known_categories(self) -> Policy:
        named = {"ignored_by_source": {c for cats in self.ignored_by_source.values() for c in cats}}
        for name in ("keywords", "thresholds", "category_actions", "model_delete_thresholds"):
            named[name] = set(getattr(self, name))
        for name, used in named.items():
            unknown = used - set(CATEGORIES)
            if unknown:
                raise ValueError(f"{name}: unknown categories {sorted(unknown)}; known: {list(CATEGORIES)}")
        return self

    def ignored(self, source: Source) -> frozenset[str]:
        return frozenset(self.ignored_by_source.get(source, ()))

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


def harsher(action: Action, than: Action) -> bool:
    return ACTION_ORDER.index(action) > ACTION_ORDER.index(than)
