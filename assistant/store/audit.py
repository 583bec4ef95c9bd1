"""The audit log: every write through the API (and key changes from the CLI), who made it
(key id and name, never the secret), what, when and for which community."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from assistant.clock import Clock, as_utc, utc_now
from assistant.store.db import Base, sessions


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    key_id: Mapped[str] = mapped_column(String(64), index=True)
    key_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(256), doc="What: method and route, or the CLI command.")
    target: Mapped[str] = mapped_column(String(512), doc="The path called, or the object changed.")
    community: Mapped[str | None] = mapped_column(String(256), index=True, doc="Communities named, '|'-joined.")
    status: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(64))

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": as_utc(self.at).isoformat(),
            "key_id": self.key_id,
            "key_name": self.key_name,
            "role": self.role,
            "action": self.action,
            "target": self.target,
            "community": self.community,
            "status": self.status,
            "request_id": self.request_id,
        }


class AuditLog:
    def __init__(self, database_url: str, now: Clock = utc_now) -> None:
        self._sessions = sessions(database_url)
        self.now = now

    def record(self, **fields: object) -> None:
        """Fields of ``AuditEntry`` but ``id`` and ``at`` (stamped here)."""
        with self._sessions.begin() as session:
            session.add(AuditEntry(at=self.now(), **fields))

    def rows(
        self,
        since: dt.datetime | None = None,
        key_id: str | None = None,
        communities: frozenset[str] | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Newest first; ``communities`` keeps only entries about those communities."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if since is not None:
            query = query.where(AuditEntry.at >= as_utc(since).astimezone(dt.UTC))
        if key_id is not None:
            query = query.where(AuditEntry.key_id == key_id)
        if communities is not None:
            query = query.where(AuditEntry.community.in_(sorted(communities)))
        with self._sessions() as session:
            return list(session.scalars(query))
