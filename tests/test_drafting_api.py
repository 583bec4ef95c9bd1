"""The whole flow over HTTP with a fake clock: plan → drafts → approve → due → delivered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.drafting.delivery import Worker
from assistant.services import Services
from tests.conftest import make_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 6, 17, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def client(sample_dir: Path, tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = make_settings(sample_dir, database_url=f"sqlite:///{tmp_path / 'drafts.db'}")
    app = create_app(settings, Services.from_settings(settings, now=clock))
    with TestClient(app) as client:
        yield client


PLAN = {"weekly": {"fri": [{"kind": "activity_preview", "time": "19:00", "theme": "读书会预告"}]},
        "lead_days": 3, "festivals": [], "contacts": ["400-820-1234"]}  # fmt: skip


def test_plan_to_delivery_with_a_fake_clock(client: TestClient, clock: Clock) -> None:
    assert client.put("/v1/communities/course/plan", json=PLAN).status_code == 200
    assert client.get("/v1/communities/course/plan").json()["weekly"]["fri"][0]["time"] == "19:00"
    calendar = client.get("/v1/calendar", params={"community": "course", "from": "2026-06-15", "to": "2026-06-21"})
    assert calendar.json()["slots"] == [{"date": "2026-06-19", "time": "19:00", "kind": "activity_preview",
                                         "theme": "读书会预告"}]  # fmt: skip
    assert {"dragon_boat", "618"} <= {h["id"] for h in calendar.json()["holidays"]}

    drafter = client.app.state.services.drafter  # type: ignore[attr-defined]
    report = Worker(drafter, "secret", send=lambda *_: 500).tick(["course"])
    assert len(report.drafted) == 1
    assert Worker(drafter, "secret").tick(["course"]).drafted == []  # drafted once, not again
    queue = client.get("/v1/drafts", params={"community": "course", "status": "pending_review"}).json()
    assert len(queue) == 1 and queue[0]["passed"] and queue[0]["scripts"]
    draft_id = queue[0]["id"]

    assert client.post(f"/v1/drafts/{draft_id}/approve", json={"by": "alice"}).json()["status"] == "approved"
    assert client.get("/v1/posts/due", params={"community": "course"}).json()["posts"] == []
    clock.at = dt.datetime(2026, 6, 19, 19, 0, 30, tzinfo=SHANGHAI)
    due = client.get("/v1/posts/due", params={"community": "course"}).json()["posts"]
    assert [p["id"] for p in due] == [draft_id]
    assert client.post(f"/v1/posts/{draft_id}/delivered").json()["status"] == "delivered"
    second = client.post(f"/v1/posts/{draft_id}/delivered")
    assert second.status_code == 409 and second.json()["error"]["code"] == "conflict"
    assert client.get("/v1/posts/due").json()["posts"] == []

    shown = client.get(f"/v1/drafts/{draft_id}").json()
    steps = [(a["action"], a["to_status"], a["actor"]) for a in shown["audit"]]
    assert steps == [
        ("plan", "planned", "worker"), ("draft", "drafted", "worker"), ("check", "pending_review", "system"),
        ("approve", "approved", "alice"), ("deliver", "delivered", "bot"),
    ]  # fmt: skip


def test_edit_reruns_checks_and_failed_drafts_cannot_be_approved(client: TestClient) -> None:
    made = client.post("/v1/drafts", json={"community": "mombaby", "kind": "promotion", "date": "2026-06-18",
                                           "brief": "618 会员日满300减50", "must_include": ["满300减50"]})  # fmt: skip
    assert made.status_code == 201 and made.json()["status"] == "pending_review", made.json()
    draft_id = made.json()["id"]
    bad = client.patch(f"/v1/drafts/{draft_id}", json={"text": "全网最低价！满300减50，加我微信 abc12345", "by": "bob"})
    assert bad.json()["status"] == "failed_checks"
    assert {"ad_law", "contacts"} <= {c["name"] for c in bad.json()["checks"] if not c["passed"]}
    refused = client.post(f"/v1/drafts/{draft_id}/approve")
    assert refused.status_code == 409
    good = client.patch(f"/v1/drafts/{draft_id}", json={"text": "618 会员日：满300减50，小程序商城可用 🌱"})
    assert good.json()["status"] == "pending_review"
    audit = client.get(f"/v1/drafts/{draft_id}").json()["audit"]
    edit = next(a for a in audit if a["action"] == "edit" and a["actor"] == "bob")
    assert edit["changes"]["text"]["to"].startswith("全网最低价") and "ad_law" in edit["changes"]["failed_checks"]
    assert client.post(f"/v1/drafts/{draft_id}/reject", json={"reason": "换个说法"}).json()["status"] == "rejected"


def test_errors_have_the_one_shape(client: TestClient) -> None:
    unknown = client.post("/v1/drafts", json={"community": "nope", "kind": "promotion", "date": "2026-06-18"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_community"
    assert client.get("/v1/communities/nope/plan").json()["error"]["code"] == "unknown_community"
    assert client.get("/v1/communities/..%2Fx/plan").status_code in (404, 422)
    assert client.get("/v1/communities/Bad!/plan").status_code == 422
    assert client.get("/v1/drafts/abc").status_code == 422
    assert client.get("/v1/drafts/999999").json()["error"]["code"] == "not_found"
    bad_kind = client.post("/v1/drafts", json={"community": "course", "kind": "poem", "date": "2026-06-18"})
    assert bad_kind.status_code == 422
    check = client.post("/v1/drafts/check", json={"text": "学完包过，第一步先报名", "community": "course"})
    assert not check.json()["passed"]
    assert [e["text"] for c in check.json()["checks"] if c["name"] == "ad_law" for e in c["evidence"]] == ["包过"]
    bad_plan = client.put("/v1/communities/course/plan", json={"timezone": "Mars/Base"})
    assert bad_plan.status_code == 422


def test_chat_model_drafts_into_the_review_queue(client: TestClient) -> None:
    assert "shequn-draft/mombaby" in {m["id"] for m in client.get("/v1/models").json()["data"]}
    asked = "帮我写一条周五晚上的活动预告，618 满300减50"
    messages = [{"role": "user", "content": asked}]
    reply = client.post("/v1/chat/completions", json={"model": "shequn-draft/mombaby", "messages": messages})
    assert reply.status_code == 200, reply.json()
    draft = reply.json()["shequn"]
    assert draft["kind"] == "activity_preview" and draft["date"] == "2026-06-19" and draft["scripts"]
    assert "满300减50" in draft["text"] and draft["passed"] and draft["status"] == "pending_review"
    assert f"草稿 #{draft['id']}" in reply.json()["choices"][0]["message"]["content"]
    assert client.get(f"/v1/drafts/{draft['id']}").json()["audit"][0]["actor"] == "chat"
    unknown = client.post("/v1/chat/completions", json={"model": "shequn-draft/nope", "messages": messages})
    assert unknown.status_code == 404
    assert client.get("/v1/drafts", params={"status": "bogus"}).status_code == 422
