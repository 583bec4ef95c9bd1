"""Getting approved posts to the bots: a worker tick drafts slots ahead and pushes due posts to
a community's webhook, signed; bots without a webhook pull ``/v1/posts/due`` and ack instead.

The signature is HMAC-SHA256 over ``"{timestamp}.{body}"`` (header ``X-Shequn-Signature:
sha256=<hex>``, ``X-Shequn-Timestamp`` in Unix seconds), so a receiver can refuse replays. A
failed push is retried with exponential backoff; the state lives in the database, so a restart
neither loses a due post nor sends a delivered one again."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from assistant.drafting.models import Draft
from assistant.drafting.service import Drafter
from assistant.drafting.store import Conflict

#: First retry after this long, doubling per failure up to MAX_BACKOFF.
FIRST_BACKOFF = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=1)
#: A sender that dies mid-push holds the post this long before another may try.
SEND_LEASE = dt.timedelta(minutes=2)

Send = Callable[[str, bytes, dict[str, str]], int]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: dt.datetime, tolerance: int = 300) -> bool:
    """What a receiver does: a fresh timestamp and a matching signature."""
    if not timestamp.isdigit() or abs(now.timestamp() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def payload(draft: Draft) -> bytes:
    body = {k: draft.model_dump(mode="json")[k] for k in ("id", "community", "kind", "date", "time", "text", "due_at")}
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


def http_send(timeout: float = 10.0) -> Send:
    def send(url: str, body: bytes, headers: dict[str, str]) -> int:
        return httpx.post(url, content=body, headers=headers, timeout=timeout).status_code

    return send


def backoff(attempts: int) -> dt.timedelta:
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


@dataclass
class TickReport:
    drafted: list[int] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


class Worker:
    """One tick: draft every community's slots ``lead_days`` ahead, push due posts to webhooks."""

    def __init__(self, drafter: Drafter, secret: str, send: Send | None = None) -> None:
        self.drafter, self.secret, self.send = drafter, secret, send or http_send()

    def tick(self, communities: list[str] | None = None) -> TickReport:
        report = TickReport()
        for community in communities or self.drafter.communities():
            report.drafted += [d.id for d in self.drafter.plan_ahead(community)]
            url = self.drafter.plan(community).webhook_url
            if url:
                for draft in self.drafter.due(community):
                    self._push(url, draft, report)
        return report

    def _push(self, url: str, draft: Draft, report: TickReport) -> None:
        store, now = self.drafter.store, self.drafter.now()
        if not store.claim_delivery(draft.id, now, SEND_LEASE):
            return  # another process is sending it, or its retry is not due yet
        body = payload(draft)
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "X-Shequn-Timestamp": str(timestamp),
            "X-Shequn-Signature": sign(self.secret, timestamp, body),
            "X-Shequn-Delivery": str(draft.id),
        }
        try:
            status = self.send(url, body, headers)
            error = "" if 200 <= status < 300 else f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error:
            row = store.get(draft.id)
            store.delivery_failed(draft.id, now + backoff((row.attempts if row else 0) + 1), error, now)
            report.failed[draft.id] = error
            return
        try:
            self.drafter.delivered(draft.id, actor="webhook")
            report.delivered.append(draft.id)
        except Conflict:
            pass  # a bot acked it meanwhile
