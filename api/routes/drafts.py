"""Scheduled posts over HTTP: drafts and their review, the compliance gate, plans, the
calendar, and the due queue bots pull from (issue #17)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DrafterDep
from api.errors import ApiError
from assistant import access
from assistant.communities import InvalidCommunity, community_id
from assistant.drafting.models import Brief, CheckResult, Draft, Plan, Status
from assistant.drafting.service import Drafter, DraftingError
from assistant.drafting.store import Conflict
from assistant.retrieval.index import UnknownCommunity

router = APIRouter(prefix="/v1", tags=["drafts"])
T = TypeVar("T")
MAX_CALENDAR_DAYS = 400
Actor = Field("api", max_length=64, description="Who does this (recorded in the audit trail).")


class DraftRequest(Brief):
    """A slot and its brief; ``facts`` fill script slots (topic, discount …)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"community": "mombaby", "kind": "activity_preview", "date": "2026-06-12", "time": "19:30",
                 "brief": "618 满300减50，6月18日0点开始", "must_include": ["满300减50"], "must_avoid": ["最便宜"]}
            ]
        }
    )  # fmt: skip


class EditRequest(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    by: str = Actor


class ReviewRequest(BaseModel):
    by: str = Actor
    reason: str = Field("", max_length=500)


class CheckRequest(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    community: str
    must_include: list[str] = Field(default_factory=list)
    must_avoid: list[str] = Field(default_factory=list)


class CheckResponse(BaseModel):
    passed: bool
    checks: list[CheckResult]


class DraftWithAudit(Draft):
    audit: list[dict[str, Any]] = Field(default_factory=list)


class DuePosts(BaseModel):
    community: str | None
    posts: list[Draft]


#: Draft ids are database integers: a larger number is a 422, never a 500 from the driver.
DraftId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The draft's id.")]


def _community(value: str) -> str:
    try:
        return community_id(value)
    except InvalidCommunity as exc:
        raise ApiError(422, "invalid_community", str(exc)) from exc


@contextmanager
def _errors() -> Iterator[None]:
    """The service's refusals as the API's error shape (never a 500)."""
    try:
        yield
    except Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from exc
    except DraftingError as exc:
        raise ApiError(422, "cannot_draft", str(exc)) from exc
    except UnknownCommunity:
        raise  # the app's own 404 unknown_community
    except LookupError as exc:
        raise ApiError(404, "not_found", str(exc).strip("'\"")) from exc


def _run(call: Callable[[], T]) -> T:
    with _errors():
        return call()


def _owned(drafter: Drafter, draft_id: int) -> Draft:
    """The draft, if the caller's key covers its community (a scoped key reaching another
    community's draft by id gets 403, as it would by name)."""
    draft = _run(lambda: drafter.get(draft_id))
    access.check(draft.community)
    return draft


def _visible(drafts: list[Draft]) -> list[Draft]:
    mine = set(access.visible({d.community for d in drafts}))
    return [d for d in drafts if d.community in mine]


@router.post("/drafts", response_model=Draft, status_code=201)
def create_draft(body: DraftRequest, drafter: DrafterDep) -> Draft:
    """Draft a slot from the script library, run the checks, file it for review."""
    _community(body.community)
    return _run(lambda: drafter.draft(Brief.model_validate(body.model_dump()), actor="api"))


@router.get("/drafts", response_model=list[Draft])
def list_drafts(drafter: DrafterDep, community: str | None = None, status: Status | None = None) -> list[Draft]:
    """Drafts in slot order, optionally of one community or status."""
    if community is not None:
        drafter.profile(_community(community))
    return _visible(drafter.drafts(community, status))


@router.get("/drafts/{draft_id}", response_model=DraftWithAudit)
def get_draft(draft_id: DraftId, drafter: DrafterDep) -> DraftWithAudit:
    """A draft with its checks, the scripts it cites and its audit trail."""
    draft = _owned(drafter, draft_id)
    audit = [a.model_dump(mode="json") for a in drafter.audit(draft_id)]
    return DraftWithAudit(**draft.model_dump(), audit=audit)


@router.patch("/drafts/{draft_id}", response_model=Draft)
def edit_draft(draft_id: DraftId, body: EditRequest, drafter: DrafterDep) -> Draft:
    """Replace the text; the checks run again and the draft goes back to review."""
    _owned(drafter, draft_id)
    return _run(lambda: drafter.edit(draft_id, body.text, body.by))


@router.post("/drafts/{draft_id}/approve", response_model=Draft)
def approve_draft(draft_id: DraftId, drafter: DrafterDep, body: ReviewRequest | None = None) -> Draft:
    """Approve a draft that passed its checks (409 if it failed them or was decided already)."""
    _owned(drafter, draft_id)
    return _run(lambda: drafter.approve(draft_id, (body or ReviewRequest()).by))


@router.post("/drafts/{draft_id}/reject", response_model=Draft)
def reject_draft(draft_id: DraftId, drafter: DrafterDep, body: ReviewRequest | None = None) -> Draft:
    """Reject a draft; it will never be delivered."""
    _owned(drafter, draft_id)
    review = body or ReviewRequest()
    return _run(lambda: drafter.reject(draft_id, review.by, review.reason))


@router.post("/drafts/check", response_model=CheckResponse)
def check_post(body: CheckRequest, drafter: DrafterDep) -> CheckResponse:
    """The compliance gate for any post, drafted or hand-written."""
    gate = drafter.check(body.text, _community(body.community), body.must_include, body.must_avoid)
    return CheckResponse(passed=gate.passed, checks=gate.checks)


@router.get("/communities/{community}/plan", response_model=Plan)
def get_plan(community: str, drafter: DrafterDep) -> Plan:
    """The posting plan in force (stored, or derived from the community profile)."""
    return drafter.plan(_community(community))


@router.put("/communities/{community}/plan", response_model=Plan)
def put_plan(community: str, body: Plan, drafter: DrafterDep) -> Plan:
    """Replace a community's posting plan."""
    return drafter.set_plan(_community(community), body)


@router.get("/calendar")
def get_calendar(
    drafter: DrafterDep,
    community: str,
    start: Annotated[dt.date, Query(alias="from", examples=["2026-06-01"])],
    end: Annotated[dt.date, Query(alias="to", examples=["2026-06-30"])],
) -> dict[str, Any]:
    """Posting slots and holidays between two dates: {community, slots, holidays}."""
    if not 0 <= (end - start).days <= MAX_CALENDAR_DAYS:
        raise ApiError(
            422, "invalid_range", f"'to' must be on or after 'from' and at most {MAX_CALENDAR_DAYS} days later"
        )
    return drafter.calendar(_community(community), start, end)


@router.get("/posts/due", response_model=DuePosts)
def due_posts(drafter: DrafterDep, community: str | None = None) -> DuePosts:
    """Approved posts whose time has come; ack each with POST /v1/posts/{id}/delivered."""
    if community is not None:
        access.check(_community(community))
    posts = drafter.due(community)
    return DuePosts(community=community, posts=_visible(posts))


@router.post("/posts/{draft_id}/delivered", response_model=Draft)
def mark_delivered(draft_id: DraftId, drafter: DrafterDep, body: ReviewRequest | None = None) -> Draft:
    """Ack a delivery; atomic, so a post is delivered once (409 the second time)."""
    _owned(drafter, draft_id)
    return _run(lambda: drafter.delivered(draft_id, (body or ReviewRequest(by="bot")).by))
