"""Every store behaves the same on SQLite and on PostgreSQL (``database_url`` runs each test on
both): keys, the audit log, the question log and drafts, including times read back as UTC,
JSON columns, Chinese text and the unique slot that keeps two processes from drafting it twice."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.access import hash_secret
from assistant.drafting.models import Plan
from assistant.drafting.store import Conflict, DraftRow, DraftStore, SlotTaken
from assistant.store.api_keys import KeyStore
from assistant.store.audit import AuditLog
from assistant.store.question_log import LoggedQuestion, QuestionLog

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


def test_keys_are_created_listed_and_revoked(database_url: str) -> None:
    clock = Clock(T0)
    store = KeyStore(database_url, now=clock)
    bot, secret = store.create("妈妈群机器人", "bot", frozenset({"mombaby", "course"}), "10/second")
    clock.at = T0 + dt.timedelta(seconds=1)
    admin, _ = store.create("admin", "admin", None)
    assert [k.name for k in store.list()] == ["妈妈群机器人", "admin"]
    principal = store.active()[hash_secret(secret)]
    assert principal.role == "bot" and principal.communities == frozenset({"course", "mombaby"})
    assert bot.public()["created_at"] == T0.isoformat()
    assert store.revoke(bot.id) is not None and store.revoke(bot.id) is None and store.revoke("nope") is None
    assert [k.id for k in store.list()] == [admin.id]
    assert [k.id for k in store.list(include_revoked=True)] == [bot.id, admin.id]


def test_audit_rows_filter_by_time_key_and_community(database_url: str) -> None:
    clock = Clock(T0)
    audit = AuditLog(database_url, now=clock)
    for i, community in enumerate(["mombaby", "course", None]):
        clock.at = T0 + dt.timedelta(hours=i)
        audit.record(key_id=f"k{i % 2}", key_name="n", role="operator", action="POST /v1/knowledge/documents",
                     target="/v1/knowledge/documents", community=community, status=200, request_id=f"r{i}")  # fmt: skip
    assert [r.request_id for r in audit.rows()] == ["r2", "r1", "r0"]  # newest first
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert [r.request_id for r in audit.rows(since=(T0 + dt.timedelta(hours=1)).astimezone(shanghai))] == ["r2", "r1"]
    assert [r.request_id for r in audit.rows(key_id="k0")] == ["r2", "r0"]
    assert [r.request_id for r in audit.rows(communities=frozenset({"course"}))] == ["r1"]
    assert audit.rows(limit=1)[0].public()["at"] == (T0 + dt.timedelta(hours=2)).isoformat()


def test_question_log_keeps_settles_and_filters(database_url: str) -> None:
    clock = Clock(T0)
    log = QuestionLog(database_url, now=clock)
    question = "宝宝湿疹用什么药膏🙏" + "长" * 3000
    log.add(LoggedQuestion(at=T0, community="mombaby", question=question, query=question, decision="clarify",
                           reason="close", confidence=0.5, candidates=["mb-1", "mb-2"]))  # fmt: skip
    log.add(LoggedQuestion(at=T0 + dt.timedelta(hours=2), community="course", question="課程", query="课程",
                           decision="handoff", reason="none", confidence=0.1, candidates=[]))  # fmt: skip
    clock.at = T0 + dt.timedelta(hours=1)
    assert log.settle("mombaby", question, "chosen", "member picked", ["mb-2"])
    assert not log.settle("course", question, "chosen", "", [])  # another community's question
    [settled] = log.rows("mombaby")
    assert settled.decision == "chosen" and settled.candidates == ["mb-2"] and len(settled.question) == 2000
    assert [r.question for r in log.rows(since=T0 + dt.timedelta(hours=1))] == ["課程"]
    clock.at = T0 + dt.timedelta(days=2)
    assert not log.settle("course", "課程", "chosen", "", [])  # not a clarifying question


def _slot(day: int, kind: str = "knowledge_post") -> DraftRow:
    return DraftRow(community="course", slot_date=dt.date(2026, 12, day), slot_time="12:00", kind=kind,
                    due_at=T0 + dt.timedelta(days=day), must_include=["打卡"], checks=[])  # fmt: skip


def test_drafts_claim_once_change_status_atomically_and_keep_an_audit(database_url: str) -> None:
    store = DraftStore(database_url)
    store.set_plan("course", Plan(festivals=[], lead_days=3), T0)
    store.set_plan("course", Plan(festivals=[], lead_days=5), T0)  # replaces
    plan = store.plan("course")
    assert plan is not None and plan.lead_days == 5 and store.plan("mombaby") is None
    row = store.claim(_slot(2), "worker-1", T0)
    with pytest.raises(SlotTaken):
        store.claim(_slot(2), "worker-2", T0)
    store.claim(_slot(3), "worker-1", T0)  # the failed claim left the store usable
    checks = [{"name": "length", "passed": True, "detail": ""}]
    store.transition(row.id, ("planned",), "pending_review", "worker-1", "draft", T0, text="今晚8点打卡", checks=checks)
    with pytest.raises(Conflict):
        store.transition(row.id, ("planned",), "pending_review", "worker-2", "draft", T0)
    approved = store.transition(row.id, ("pending_review",), "approved", "alice", "approve", T0)
    assert approved.text == "今晚8点打卡" and approved.checks == checks
    assert [r.id for r in store.due(T0 + dt.timedelta(days=2))] == [row.id]
    lease = dt.timedelta(minutes=5)
    assert store.claim_delivery(row.id, T0, lease) and not store.claim_delivery(row.id, T0, lease)
    assert store.claim_delivery(row.id, T0 + lease * 2, lease)  # a crashed sender's lease ran out
    store.delivery_failed(row.id, T0 + lease * 3, "HTTP 500", T0)
    assert store.get(row.id).attempts == 1  # type: ignore[union-attr]
    trail = store.audit(row.id)
    assert [(a.action, a.to_status) for a in trail] == [
        ("plan", "planned"), ("draft", "pending_review"), ("approve", "approved"), ("delivery_failed", "approved"),
    ]  # fmt: skip
    assert trail[1].changes["text"] == {"from": "", "to": "今晚8点打卡"} and trail[0].at == T0
    assert store.recent_texts("course", dt.date(2026, 12, 1)) == [(str(row.id), "今晚8点打卡")]
    assert [r.slot_date.day for r in store.rows("course")] == [2, 3]
