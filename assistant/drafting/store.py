"""Drafts, plans and their audit trail in the database (SQLite by default, any SQLAlchemy URL).

Two rules keep several ``serve``/``worker`` processes on one database honest: a slot is
claimed by inserting its row (unique on community, date, time and kind), so only one process
ever drafts it; and every status change is a conditional ``UPDATE … WHERE status = …``, so
only one process ever approves, delivers or claims a post for delivery."""

from __future__ import annotations

import datetime as dt
from typing import Any, overload

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from assistant.drafting.models import AuditEntry, Draft, Plan, Status
from assistant.store.db import Base, sessions


class DraftRow(Base):
    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("community", "slot_date", "slot_time", "kind", name="uq_draft_slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community: Mapped[str] = mapped_column(String(64), index=True)
    slot_date: Mapped[dt.date] = mapped_column(Date)
    slot_time: Mapped[str] = mapped_column(String(5))
    kind: Mapped[str] = mapped_column(String(32))
    theme: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    brief: Mapped[str] = mapped_column(Text, default="")
    must_include: Mapped[list[str]] = mapped_column(JSON, default=list)
    must_avoid: Mapped[list[str]] = mapped_column(JSON, default=list)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    scripts: Mapped[list[str]] = mapped_column(JSON, default=list)
    engine: Mapped[str] = mapped_column(String(32), default="")
    fallback_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditRow(Base):
    __tablename__ = "draft_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PlanRow(Base):
    __tablename__ = "posting_plans"

    community: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SlotTaken(Exception):
    """Another process (or an earlier run) already holds this slot."""


class Conflict(ValueError):
    """The draft is not in a status that allows this change."""


@overload
def utc(value: dt.datetime) -> dt.datetime: ...
@overload
def utc(value: None) -> dt.datetime: ...
def utc(value: dt.datetime | None) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC (None: the distant past)."""
    if value is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def to_draft(row: DraftRow) -> Draft:
    checks = row.checks or []
    return Draft(
        id=row.id, community=row.community, kind=row.kind, date=row.slot_date, time=row.slot_time, theme=row.theme,
        text=row.text, passed=bool(checks) and all(c["passed"] for c in checks), checks=checks,  # type: ignore[arg-type]
        scripts=row.scripts or [], status=row.status, engine=row.engine, brief=row.brief,  # type: ignore[arg-type]
        must_include=row.must_include or [], must_avoid=row.must_avoid or [], fallback_reason=row.fallback_reason,
        due_at=utc(row.due_at), delivered_at=row.delivered_at and utc(row.delivered_at),
    )  # fmt: skip


class DraftStore:
    def __init__(self, database_url: str) -> None:
        self._sessions = sessions(database_url)

    # ---- plans -------------------------------------------------------------------------

    def plan(self, community: str) -> Plan | None:
        with self._sessions() as session:
            row = session.get(PlanRow, community)
            return None if row is None else Plan.model_validate(row.plan)

    def set_plan(self, community: str, plan: Plan, now: dt.datetime) -> None:
        with self._sessions.begin() as session:
            session.merge(PlanRow(community=community, plan=plan.model_dump(mode="json"), updated_at=now))

    # ---- drafts ------------------------------------------------------------------------

    def claim(self, row: DraftRow, actor: str, now: dt.datetime) -> DraftRow:
        """Inserts the slot as ``planned``; ``SlotTaken`` if it exists already."""
        row.status = "planned"
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                self._audit(session, row.id, actor, "plan", None, "planned", {}, now)
        except IntegrityError as exc:
            raise SlotTaken(f"{row.community} {row.slot_date} {row.slot_time} {row.kind}") from exc
        return row

    def find_slot(self, community: str, date: dt.date, time: str, kind: str) -> DraftRow | None:
        query = select(DraftRow).where(DraftRow.community == community, DraftRow.slot_date == date,
                                       DraftRow.slot_time == time, DraftRow.kind == kind)  # fmt: skip
        with self._sessions() as session:
            return session.scalars(query).first()

    def get(self, draft_id: int) -> DraftRow | None:
        with self._sessions() as session:
            return session.get(DraftRow, draft_id)

    def rows(self, community: str | None = None, status: str | None = None, limit: int = 200) -> list[DraftRow]:
        query = select(DraftRow).order_by(DraftRow.slot_date, DraftRow.slot_time, DraftRow.id).limit(limit)
        if community is not None:
            query = query.where(DraftRow.community == community)
        if status is not None:
            query = query.where(DraftRow.status == status)
        with self._sessions() as session:
            return list(session.scalars(query))

    def transition(
        self, draft_id: int, allowed: tuple[Status, ...], to: Status, actor: str, action: str, now: dt.datetime,
        note: dict[str, Any] | None = None, **fields: Any,
    ) -> DraftRow:  # fmt: skip
        """Atomic: the row changes only if its status is still one of ``allowed``."""
        with self._sessions.begin() as session:
            row = session.get(DraftRow, draft_id)
            if row is None:
                raise LookupError(draft_id)
            before, before_text = row.status, row.text
            changed = session.execute(
                update(DraftRow)
                .where(DraftRow.id == draft_id, DraftRow.status.in_(allowed))
                .values(status=to, **fields)
            ).rowcount  # type: ignore[attr-defined]
            if not changed:
                raise Conflict(f"draft {draft_id} is {before}; {action} needs {' or '.join(allowed)}")
            changes: dict[str, Any] = dict(note or {})
            if "text" in fields and fields["text"] != before_text:
                changes["text"] = {"from": before_text, "to": fields["text"]}
            if "checks" in fields:
                changes["failed_checks"] = [c["name"] for c in fields["checks"] if not c["passed"]]
            self._audit(session, draft_id, actor, action, before, to, changes, now)
        found = self.get(draft_id)
        assert found is not None
        return found

    def due(self, now: dt.datetime, community: str | None = None) -> list[DraftRow]:
        query = select(DraftRow).where(DraftRow.status == "approved", DraftRow.due_at <= now)
        if community is not None:
            query = query.where(DraftRow.community == community)
        with self._sessions() as session:
            return list(session.scalars(query.order_by(DraftRow.due_at, DraftRow.id)))

    def claim_delivery(self, draft_id: int, now: dt.datetime, lease: dt.timedelta) -> bool:
        """One process at a time sends a webhook for a post; a crashed sender's lease runs out."""
        with self._sessions.begin() as session:
            return bool(
                session.execute(
                    update(DraftRow)
                    .where(DraftRow.id == draft_id, DraftRow.status == "approved")
                    .where((DraftRow.claimed_until.is_(None)) | (DraftRow.claimed_until < now))
                    .where((DraftRow.next_attempt_at.is_(None)) | (DraftRow.next_attempt_at <= now))
                    .values(claimed_until=now + lease)
                ).rowcount  # type: ignore[attr-defined]
            )

    def delivery_failed(self, draft_id: int, retry_at: dt.datetime, error: str, now: dt.datetime) -> None:
        with self._sessions.begin() as session:
            row = session.get(DraftRow, draft_id)
            if row is None:
                return
            row.attempts += 1
            row.next_attempt_at, row.claimed_until = retry_at, None
            self._audit(session, draft_id, "worker", "delivery_failed", row.status, row.status,
                        {"error": error[:300], "retry_at": retry_at.isoformat()}, now)  # fmt: skip

    def recent_texts(self, community: str, since: dt.date, exclude: int | None = None) -> list[tuple[str, str]]:
        """Posts approved or sent since ``since``: what a new post must not repeat."""
        query = select(DraftRow.id, DraftRow.text).where(
            DraftRow.community == community, DraftRow.slot_date >= since,
            DraftRow.status.in_(("approved", "delivered", "pending_review")),
        )  # fmt: skip
        with self._sessions() as session:
            return [(str(i), t) for i, t in session.execute(query) if i != exclude and t]

    def audit(self, draft_id: int) -> list[AuditEntry]:
        query = select(AuditRow).where(AuditRow.draft_id == draft_id).order_by(AuditRow.id)
        with self._sessions() as session:
            return [
                AuditEntry(
                    at=utc(r.at),
                    actor=r.actor,
                    action=r.action,
                    from_status=r.from_status,  # type: ignore[arg-type]
                    to_status=r.to_status,
                    changes=r.changes or {},
                )  # fmt: skip
                for r in session.scalars(query)
            ]

    @staticmethod
    def _audit(
        session: Session, draft_id: int, actor: str, action: str, before: str | None, to: str,
        changes: dict[str, Any], now: dt.datetime,
    ) -> None:  # fmt: skip
        session.add(AuditRow(draft_id=draft_id, at=now, actor=actor, action=action, from_status=before,
                             to_status=to, changes=changes))  # fmt: skip
