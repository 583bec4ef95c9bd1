"""Sentiment results and the summary of a chat log (issue #18's JSON contract)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, field_validator

DEFAULT_TZ = timezone(timedelta(hours=8))
Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[str, ...] = get_args(Label)
AlertKind = Literal[
    "negative_spike", "complaint_cluster", "risk_wave", "heated_argument", "unanswered_complaint", "positive_peak"
]


class Sentiment(BaseModel):
    """One message's mood. ``score`` is polarity: P(positive) − P(negative), in [-1, 1]."""

    label: Label
    score: float = Field(ge=-1, le=1)
    confidence: float = Field(ge=0, le=1, description="Probability of ``label``.")
    engine: str = Field("offline", description="offline, or which rule decided (rule:short_reply …).")


class ChatMessage(BaseModel):
    """design.md §4 chat-log row: who said what, when, in which group. A time without a zone
    is taken as UTC+8 (chat exports write local wall-clock time; WeChat's users mostly live there)."""

    group: str | None = None
    time: datetime
    sender: str = Field(min_length=1, max_length=200)
    text: str

    @field_validator("time")
    @classmethod
    def _zoned(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=DEFAULT_TZ)


class Quote(BaseModel):
    """A message cited as evidence: its time, sender and text (cut to 200 characters)."""

    time: datetime
    sender: str
    text: str
    label: Label | None = None
    score: float | None = None


class Complaint(BaseModel):
    topic: str
    count: int
    members: list[str]
    examples: list[Quote]


class AtRisk(BaseModel):
    member: str
    reasons: list[str]
    evidence: list[Quote]


class Alert(BaseModel):
    kind: AlertKind
    time: datetime = Field(description="When it started.")
    end: datetime | None = None
    members: list[str]
    evidence: list[Quote]
    detail: str = Field(description="One line in Chinese for the operator.")
    category: str | None = Field(None, description="Moderation category of a risk_wave.")
    topic: str | None = None


class Health(BaseModel):
    score: float = Field(ge=0, le=100)
    components: dict[str, float | None] = Field(description="activity, sentiment, risk, responsiveness (0–100).")
    by_day: list[dict[str, Any]] = Field(default_factory=list, description="Score per day: how it moved.")
    change: float | None = Field(None, description="Last day's score minus the first day's.")


class Summary(BaseModel):
    messages: int
    members: int
    window: dict[str, Any]
    sentiment: dict[str, Any]
    activity: dict[str, Any]
    topics: list[dict[str, Any]]
    complaints: list[Complaint]
    risky: dict[str, Any]
    segments: dict[str, list[str]]
    at_risk: list[AtRisk]
    health: Health
    alerts: list[Alert]
    summary: str
    engine: str = "offline"
    fallback_reason: str | None = None
    prompt_version: str | None = None
    skipped: list[dict[str, Any]] = Field(default_factory=list, description="Bad input rows: line and reason.")
