"""Questions the assistant could not answer confidently: the raw material of ``shequn faq gaps``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from assistant.clock import Clock, utc_now
from assistant.store.db import Base, engine_for, sessions


class LoggedQuestion(Base):
    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    community: Mapped[str | None] = mapped_column(String(128), index=True)
    question: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, doc="The question as searched (rewritten with the conversation).")
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    candidates: Mapped[list[str]] = mapped_column(JSON, doc="Ids of the closest entries found.")


#: Every column but the id the database assigns.
COLUMNS = [c for c in LoggedQuestion.__table__.columns if c.key != "id"]
INSERT = insert(LoggedQuestion)
#: How long after asking back a member's reply still settles that question's row.
SETTLE_WITHIN = dt.timedelta(days=1)
#: Characters of a question (and its query) kept: a 1 MB message is logged as its start.
LOGGED_CHARS = 2000


class QuestionLog:
    def __init__(self, database_url: str, now: Clock = utc_now) -> None:
        self._sessions = sessions(database_url)
        self._engine = engine_for(database_url)
        self.now = now

    def add(self, row: LoggedQuestion) -> None:
        """One INSERT of the row's columns on a connection: a session's unit of work around it
        cost 0.26 ms of CPU against 0.07 (a load test of answers logs most of its questions)."""
        values = {c.key: getattr(row, c.key) for c in COLUMNS}
        values["question"], values["query"] = row.question[:LOGGED_CHARS], row.query[:LOGGED_CHARS]
        with self._engine.begin() as connection:
            connection.execute(INSERT, values)

    def settle(self, community: str | None, question: str, decision: str, reason: str, candidates: list[str]) -> bool:
        """Records how the latest clarifying question about ``question`` ended (the member chose
        an entry, or none fits); False when there is none (asked too long ago or elsewhere)."""
        query = (
            select(LoggedQuestion)
            .where(
                LoggedQuestion.community == community,
                LoggedQuestion.question == question[:LOGGED_CHARS],
                LoggedQuestion.decision == "clarify",
                LoggedQuestion.at >= self.now() - SETTLE_WITHIN,
            )
            .order_by(LoggedQuestion.id.desc())
            .limit(1)
        )
        with self._sessions.begin() as session:
            row = session.scalars(query).first()
            if row is None:
                return False
            row.decision, row.reason = decision, reason
            if candidates:
                row.candidates = candidates
            return True

    def rows(self, community: str | None = None, since: dt.datetime | None = None) -> list[LoggedQuestion]:
        query = select(LoggedQuestion).order_by(LoggedQuestion.id)
        if community is not None:
            query = query.where(LoggedQuestion.community == community)
        if since is not None:
            query = query.where(LoggedQuestion.at >= since)
        with self._sessions() as session:
            return list(session.scalars(query))
