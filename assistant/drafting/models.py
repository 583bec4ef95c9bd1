"""Drafting types: the posting plan, calendar slots, check results and drafts (issue #17)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.knowledge.models import ScriptKind, Weekday

Status = Literal["planned", "drafted", "failed_checks", "pending_review", "approved", "rejected", "delivered"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
#: Kinds a plan may schedule (``welcome`` is sent on join, not on a calendar).
DEFAULT_THEMES: dict[str, str] = {
    "morning_brief": "早报",
    "evening_brief": "晚报",
    "knowledge_post": "干货分享",
    "user_story": "用户故事",
    "activity_preview": "活动预告",
    "activity_notice": "活动通知",
    "live_notice": "直播预告",
    "promotion": "会员福利",
    "reactivation": "话题互动",
    "holiday": "节日问候",
    "welcome": "新人欢迎",
    "rules": "群规提醒",
    "farewell": "告别",
    "complaint_reply": "问题回复",
    "faq_reply": "常见问题",
}


def hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f"time {value!r} must be HH:MM (24-hour)")
    return value


class WeeklySlot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ScriptKind
    time: str | None = Field(None, description="HH:MM; default: the plan's posting_times for the kind.")
    theme: str | None = Field(None, max_length=60)

    _time = field_validator("time")(lambda v: v if v is None else hhmm(v))


class Campaign(BaseModel):
    """A one-off post (a 618 sale, an open day) with the facts its draft must carry."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    date: dt.date
    time: str | None = None
    kind: ScriptKind = "promotion"
    theme: str = Field(min_length=1, max_length=60)
    brief: str = Field("", max_length=2000)
    must_include: list[str] = Field(default_factory=list)
    must_avoid: list[str] = Field(default_factory=list)

    _time = field_validator("time")(lambda v: v if v is None else hhmm(v))


class Plan(BaseModel):
    """A community's posting plan and the rules its posts are checked against."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "Asia/Shanghai"
    weekly: dict[Weekday, list[WeeklySlot]] = Field(default_factory=dict)
    posting_times: dict[str, str] = Field(default_factory=dict)
    festivals: list[str] = Field(
        default_factory=lambda: [
            "new_year",
            "spring_festival",
            "lantern",
            "dragon_boat",
            "qixi",
            "mid_autumn",
            "national_day",
            "618",
            "double_11",
        ],  # fmt: skip
        description="Holiday ids that get a post of kind `holiday` (shopping days: `promotion`).",
    )
    campaigns: list[Campaign] = Field(default_factory=list)
    auto_approve: list[ScriptKind] = Field(
        default_factory=list, description="Low-risk kinds approved once checks pass."
    )
    lead_days: int = Field(3, ge=0, le=60, description="How far ahead the worker drafts slots.")
    allowed_links: list[str] = Field(default_factory=list, description="Domains posts may link to.")
    contacts: list[str] = Field(default_factory=list, description="The community's own phone numbers and ids.")
    max_chars: int = Field(600, ge=50, le=5000)
    max_lines: int = Field(18, ge=1, le=200)
    duplicate_weeks: int = Field(2, ge=0, le=52, description="Posts this many weeks back count as near-duplicates.")
    webhook_url: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("posting_times")
    @classmethod
    def _times(cls, value: dict[str, str]) -> dict[str, str]:
        return {k: v if v == "on_join" else hhmm(v) for k, v in value.items()}

    def time_for(self, kind: str) -> str:
        value = self.posting_times.get(kind, "09:00")
        return "09:00" if value == "on_join" else value


class Holiday(BaseModel):
    date: dt.date
    id: str
    name: str


class Slot(BaseModel):
    date: dt.date
    time: str
    kind: ScriptKind
    theme: str
    brief: str = Field("", exclude=True)
    must_include: list[str] = Field(default_factory=list, exclude=True)
    must_avoid: list[str] = Field(default_factory=list, exclude=True)


class Span(BaseModel):
    start: int
    end: int
    text: str
    reason: str


class CheckResult(BaseModel):
    name: str
    passed: bool
    evidence: list[Span] = Field(default_factory=list)


class GateResult(BaseModel):
    passed: bool
    checks: list[CheckResult]

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.checks if not c.passed]


class Brief(BaseModel):
    """What the operator wants said in one post (design.md §4 drafting line, minus its id)."""

    model_config = ConfigDict(extra="ignore")

    community: str
    kind: ScriptKind
    date: dt.date
    time: str | None = None
    theme: str | None = None
    brief: str = Field("", max_length=2000)
    facts: dict[str, str] = Field(default_factory=dict, description="Values for script slots, e.g. topic, discount.")
    must_include: list[str] = Field(default_factory=list)
    must_avoid: list[str] = Field(default_factory=list)


class Composed(BaseModel):
    """What an engine returns before the gate runs."""

    text: str
    scripts: list[str]
    engine: str
    prompt_version: str | None = None
    fallback_reason: str | None = None


class Draft(BaseModel):
    id: int
    community: str
    kind: str
    date: dt.date
    time: str
    theme: str
    text: str
    passed: bool
    checks: list[CheckResult]
    scripts: list[str]
    status: Status
    engine: str
    brief: str = ""
    must_include: list[str] = Field(default_factory=list)
    must_avoid: list[str] = Field(default_factory=list)
    fallback_reason: str | None = None
    due_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None


class AuditEntry(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    changes: dict[str, object] = Field(default_factory=dict)
