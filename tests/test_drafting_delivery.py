"""Delivery: signed webhooks with retry against a real local receiver, restart safety, and
several worker processes on one database never drafting or delivering a slot twice."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from assistant.drafting.delivery import Worker, backoff, http_send, sign, verify
from assistant.drafting.models import Brief, Plan
from assistant.drafting.service import Drafter
from assistant.knowledge.loader import load_knowledge
from assistant.services import Services
from assistant.store.db import connect
from tests.conftest import BIN, SAMPLE_KNOWLEDGE, cli_env, make_settings

SECRET = "s3cret"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Receiver:
    """A bot's webhook endpoint: fails the first ``failures`` calls, then records deliveries."""

    def __init__(self, failures: int = 0) -> None:
        self.failures, self.calls, self.accepted = failures, 0, []  # type: ignore[var-annotated]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls += 1
                status = 500 if receiver.calls <= receiver.failures else 200
                if status == 200:
                    receiver.accepted.append((dict(self.headers), body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(failures=2)
    yield made
    made.server.shutdown()


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


def drafter_for(data_dir: Path, clock: Clock, database_url: str) -> Drafter:
    settings = make_settings(data_dir, database_url=database_url)
    services = Services(settings, now=clock)
    services.communities.save_profiles(load_knowledge(SAMPLE_KNOWLEDGE).communities)
    return services.drafter


def approved_post(drafter: Drafter, url: str) -> int:
    community = "mombaby"
    drafter.set_plan(community, Plan(webhook_url=url, festivals=[]))
    draft = drafter.draft(Brief(community=community, kind="promotion", date=dt.date(2026, 6, 18), time="20:00",
                                brief="618 会员日满300减50", must_include=["满300减50"]))  # fmt: skip
    assert draft.status == "pending_review", draft.checks
    return drafter.approve(draft.id, "alice").id


def test_signature_round_trip() -> None:
    now = dt.datetime(2026, 6, 18, tzinfo=dt.UTC)
    body = b'{"id": 1}'
    signature = sign(SECRET, int(now.timestamp()), body)
    assert verify(SECRET, str(int(now.timestamp())), body, signature, now)
    assert not verify(SECRET, str(int(now.timestamp())), b'{"id": 2}', signature, now)
    assert not verify("other", str(int(now.timestamp())), body, signature, now)
    assert not verify(SECRET, str(int(now.timestamp())), body, signature, now + dt.timedelta(hours=1))  # replay


def test_webhook_retries_with_backoff_then_delivers_signed(tmp_path: Path, receiver: Receiver,
                                                           database_url: str) -> None:  # fmt: skip
    clock = Clock(dt.datetime(2026, 6, 18, 19, 0, tzinfo=SHANGHAI))
    drafter = drafter_for(tmp_path, clock, database_url)
    post = approved_post(drafter, receiver.url)
    worker = Worker(drafter, SECRET, http_send(timeout=5))
    assert worker.tick(["mombaby"]).delivered == []  # not due before 20:00
    clock.at = dt.datetime(2026, 6, 18, 20, 0, 5, tzinfo=SHANGHAI)
    assert list(worker.tick(["mombaby"]).failed) == [post]  # receiver answers 500
    assert worker.tick(["mombaby"]).failed == {}  # backing off: no call before the retry time
    assert receiver.calls == 1
    clock.at += backoff(1)
    assert list(worker.tick(["mombaby"]).failed) == [post]
    clock.at += backoff(2)
    assert backoff(2) == 2 * backoff(1)
    assert worker.tick(["mombaby"]).delivered == [post]
    headers, body = receiver.accepted[0]
    assert verify(SECRET, headers["X-Shequn-Timestamp"], body, headers["X-Shequn-Signature"], clock.at)
    assert json.loads(body)["id"] == post and "满300减50" in json.loads(body)["text"]
    assert drafter.get(post).status == "delivered"
    assert worker.tick(["mombaby"]).delivered == [] and receiver.calls == 3


def test_restart_neither_loses_nor_duplicates_a_due_post(tmp_path: Path, receiver: Receiver,
                                                         database_url: str) -> None:  # fmt: skip
    receiver.failures = 0
    clock = Clock(dt.datetime(2026, 6, 18, 12, 0, tzinfo=SHANGHAI))
    post = approved_post(drafter_for(tmp_path, clock, database_url), receiver.url)
    clock.at = dt.datetime(2026, 6, 18, 21, 0, tzinfo=SHANGHAI)
    restarted = drafter_for(tmp_path, clock, database_url)  # a new process: only the database carries over
    assert [d.id for d in restarted.due("mombaby")] == [post]
    assert Worker(restarted, SECRET, http_send()).tick(["mombaby"]).delivered == [post]
    again = drafter_for(tmp_path, clock, database_url)
    assert again.due("mombaby") == []
    assert Worker(again, SECRET, http_send()).tick(["mombaby"]).delivered == []
    assert len(receiver.accepted) == 1


def test_a_slot_left_planned_by_a_crash_is_drafted_after_its_lease(tmp_path: Path, database_url: str) -> None:
    clock = Clock(dt.datetime(2026, 6, 15, 9, 0, tzinfo=SHANGHAI))
    drafter = drafter_for(tmp_path, clock, database_url)
    drafter.set_plan("course", Plan(weekly={"tue": [{"kind": "live_notice"}]}, festivals=[], lead_days=2))
    slot = Brief(community="course", kind="live_notice", date=dt.date(2026, 6, 16), time="09:00")
    drafter.store.claim(drafter._row(slot, drafter.plan("course")), "crashed-worker", clock())
    assert drafter.plan_ahead("course") == []  # its lease still runs
    clock.at += dt.timedelta(minutes=10)
    assert [(d.date, d.status) for d in drafter.plan_ahead("course")] == [(dt.date(2026, 6, 16), "pending_review")]


def test_worker_processes_on_one_database_draft_and_deliver_each_slot_once(tmp_path: Path, receiver: Receiver,
                                                                           database_url: str) -> None:  # fmt: skip
    receiver.failures = 0
    now = dt.datetime.now(SHANGHAI)
    drafter = drafter_for(tmp_path, Clock(now - dt.timedelta(hours=1)), database_url)
    weekly = {day: [{"kind": "knowledge_post", "time": "12:00"}, {"kind": "user_story", "time": "12:30"}]
              for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}  # fmt: skip
    drafter.set_plan("course", Plan(weekly=weekly, festivals=[], lead_days=6, webhook_url=receiver.url))
    due = drafter.draft(Brief(community="course", kind="activity_notice", date=now.date(), time="00:00",
                              brief="本周打卡挑战开始"))  # fmt: skip
    drafter.approve(due.id)
    env = cli_env(tmp_path, SHEQUN_WEBHOOK_SECRET=SECRET, SHEQUN_DATABASE_URL=database_url)
    procs = [subprocess.Popen([str(BIN / "shequn"), "worker", "--once", "-c", "course"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]  # fmt: skip
    outputs = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    drafted = [i for r in reports for i in r["drafted"]]
    assert len(drafted) == len(set(drafted)) == 14  # 7 days × 2 slots, each by exactly one process
    assert [i for r in reports for i in r["delivered"]] == [due.id]
    assert len(receiver.accepted) == 1
    engine = connect(database_url)
    with engine.connect() as db:
        per_slot = db.execute(text("select count(*) from drafts group by community, slot_date, slot_time, kind"))
        assert {n for (n,) in per_slot} == {1}
        drafts_audited = db.execute(text("select draft_id, count(*) from draft_audit where action = 'draft' "
                                         "group by draft_id")).all()  # fmt: skip
        assert drafts_audited and all(n == 1 for _, n in drafts_audited)
