"""Request and response bodies of the HTTP API (separate from domain types on purpose)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field

from assistant.answering.models import Turn
from assistant.moderation.models import Source, Verdict
from assistant.retrieval.models import SearchHit


def json_response(body: BaseModel) -> Response:
    """``body`` serialised once, by pydantic's core. A route returning the model itself has
    FastAPI dump and validate it again against ``response_model`` (kept on the route for the
    OpenAPI schema) before serialising: a tenth of a moderation request's time."""
    return Response(body.model_dump_json(by_alias=True), media_type="application/json")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    vector_store: str
    vector_store_ok: bool
    index_consistent: bool = Field(description="Every community's vectors match its entry list.")
    inconsistent_communities: list[str] = Field(default_factory=list)
    llm: str
    communities: dict[str, int]


class SearchResponse(BaseModel):
    query: str
    community: str | None
    results: list[SearchHit]


class DocumentsUpload(BaseModel):
    """FAQ entries and scripts to add or update; items are validated one by one so every
    bad item is reported with its index, and nothing is ingested unless all are valid."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "community": "shop",
                    "faqs": [{"id": "shop-001", "question": "能开专票吗", "similar": ["要增值税专用发票"],
                              "answer": "暂不支持专票，可以开电子普票。"}],
                    "scripts": [{"id": "shop-welcome", "kind": "welcome", "title": "欢迎",
                                 "body": "欢迎{nickname}入群！", "slots": ["nickname"]}],
                }
            ]
        }
    )  # fmt: skip

    community: str | None = Field(None, max_length=64, description="Applied to every item that names none.")
    faqs: list[dict[str, Any]] = Field(
        default_factory=list, description="FAQ entries (id, question, similar, answer, tags)."
    )
    scripts: list[dict[str, Any]] = Field(
        default_factory=list, description="Scripts (id, kind, title, body, slots, tags)."
    )
    allow_risky: bool = Field(
        False, description="Ingest entries that moderation finds risky to send to members (logged for audit)."
    )


class ItemError(BaseModel):
    kind: Literal["faq", "script"]
    index: int
    id: str | None
    reason: str


class ModerationRequest(BaseModel):
    """One message or a batch; every item gets its own verdict, in order."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"input": ["今天的课真好", "加 V 信 abc_2026x 私聊领取"], "community": "mombaby"}]
        }
    )

    input: str | list[str] = Field(description="A message, or a list of messages.")
    community: str | None = Field(
        None, max_length=64, description="Whose policy, keyword lists and trained model apply."
    )
    source: Source = Field("member", description="Who posted: member, staff or draft (categories apply by source).")


class ModerationResponse(BaseModel):
    community: str | None
    results: list[Verdict]


class AnswerRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": "那运费谁出？",
                    "community": "mombaby",
                    "history": [{"role": "user", "content": "衣服尺码不合适想退货"}],
                }
            ]
        }
    )

    question: str = Field(min_length=1, max_length=2000, description="The member's question.")
    community: str | None = Field(None, max_length=64, description="Community whose knowledge answers it.")
    history: list[Turn] = Field(
        default_factory=list, max_length=20, description="Earlier turns, oldest first (for follow-ups)."
    )
    member: str | None = Field(None, max_length=64, description="Display name; fills {member} in curated answers.")


class ChatMessage(BaseModel):
    """OpenAI chat message; ``content`` may be a string or a list of parts (text parts are used)."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """The subset of ``/v1/chat/completions`` shequn honours; other OpenAI fields are accepted
    and ignored (sampling settings mean nothing to curated answers)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {"model": "shequn/course", "messages": [{"role": "user", "content": "直播错过了可以看回放吗？"}]}
            ]
        },
    )

    model: str = Field(
        max_length=200, description="shequn, shequn/<community>, shequn-moderation or shequn-moderation/<community>."
    )
    messages: list[ChatMessage] = Field(min_length=1, max_length=50)
    stream: bool = False
