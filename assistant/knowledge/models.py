"""Knowledge formats (design.md §2) as pydantic models: what a file may contain, and why not."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from assistant.ids import COMMUNITY_PATTERN, GLOBAL, community_id

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"

EntryId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
CommunityId = Annotated[str, StringConstraints(pattern=COMMUNITY_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]

ScriptKind = Literal[
    "welcome",
    "rules",
    "morning_brief",
    "evening_brief",
    "knowledge_post",
    "user_story",
    "activity_preview",
    "activity_notice",
    "holiday",
    "promotion",
    "reactivation",
    "complaint_reply",
    "faq_reply",
    "farewell",
    "live_notice",
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_SLOT = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: EntryId
    community: CommunityId | None = None
    tags: list[str] = Field(default_factory=list)

    @field_validator("tags", mode="before")
    @classmethod
    def _scalar_tags(cls, value: object) -> object:
        """YAML reads ``[双11, 618]`` as a string and an int; a tag is always text."""
        if isinstance(value, list):
            return [str(v) if isinstance(v, int | float) else v for v in value]
        return value

    @field_validator("community")
    @classmethod
    def _community_not_reserved(cls, value: str | None) -> str | None:
        """``global`` is where shared entries are kept, not a community: an item naming it
        would silently become every community's (leave ``community`` out to share)."""
        return None if value is None else community_id(value)

    @property
    def scope(self) -> str:
        """The community whose index holds this item."""
        return self.community or GLOBAL

    def content_hash(self) -> str:
        """Changes exactly when what gets indexed changes: drives incremental ingest."""
        payload = self.model_dump_json(exclude={"updated"})
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


class FaqEntry(_Item):
    """One FAQ entry; ``similar`` are the paraphrases members type (相似问)."""

    question: Text
    similar: list[Text] = Field(default_factory=list)
    answer: Text
    updated: dt.date | None = None

    @field_validator("similar")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class Script(_Item):
    """One script (话术) of the library: a post template with ``{slots}``."""

    kind: ScriptKind
    title: Text
    body: Text
    channel: str = "group"
    slots: list[str] = Field(default_factory=list)
    holiday: str | None = None

    @model_validator(mode="after")
    def _slots_match_body(self) -> Script:
        used = set(_SLOT.findall(self.body))
        declared = set(self.slots)
        if used != declared:
            missing = sorted(used - declared)
            unused = sorted(declared - used)
            raise ValueError(f"slots do not match the body: undeclared {missing}, unused {unused}")
        return self


class CommunityProfile(BaseModel):
    """Who a community is for and how it speaks; drafting and moderation read it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: CommunityId
    name: Text
    positioning: Text
    audience: Text
    tone: Text
    banned_words: list[str] = Field(default_factory=list)
    contacts: list[str] = Field(
        default_factory=list,
        description="The community's own phone numbers, ids, domains and e-mails: allowed in what it sends.",
    )
    weekly_plan: dict[Weekday, ScriptKind] = Field(default_factory=dict)
    posting_times: dict[str, str] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        return community_id(value)


KnowledgeItem = FaqEntry | Script
