"""Alerts found while the log streams past: each keeps only a short window of recent messages.

Thresholds are counts a person would call a wave, not statistics: three spam messages in an
hour, four or more angry messages traded by two or three people within 20 minutes."""

from __future__ import annotations

import heapq
from collections import Counter, deque
from datetime import datetime, timedelta

from assistant.sentiment.models import Alert, Quote
from assistant.sentiment.signals import Signal

EVIDENCE = 5
MAX_ALERTS = 10
RISK_WINDOW = timedelta(hours=1)
RISK_WAVE = 3
#: Two fraud messages from members (one account or two) this close together already make a wave:
#: a scam push posts several look-alike notices within minutes and moderation misses some of them
#: (2 of 3 flagged in a held-out log), while one fraud message is flagged on its own anyway. Fraud
#: only: two adverts in ten minutes are one advertiser's habit; staff messages never (a refund rule
#: is not a scam).
FRAUD_PAIR = timedelta(minutes=15)
ARGUMENT_WINDOW = timedelta(minutes=20)
ARGUMENT_MESSAGES = 4
#: The two loudest people send this share of the angry messages: a quarrel, not a complaint wave.
ARGUMENT_SHARE = 0.7
ARGUMENT_TURNS = 3


def _members(quotes: list[Quote]) -> list[str]:
    return list(dict.fromkeys(q.sender for q in quotes))


class Episodes:
    """Alerts of one kind (and category); a hit within ``gap`` of the open one extends it.

    Detectors pass their recent window on every hit, so only quotes newer than the last one
    taken are new; evidence stays at the first ``EVIDENCE`` quotes (constant work per hit)."""

    def __init__(self, kind: str, gap: timedelta, category: str | None = None) -> None:
        self.kind, self.gap, self.category = kind, gap, category
        self.alerts: list[Alert] = []
        self._taken: datetime | None = None

    def hit(self, quotes: list[Quote], detail: str) -> None:
        open_ = self.alerts[-1] if self.alerts else None
        if open_ is not None and self._taken is not None and quotes[0].time - self._taken <= self.gap:
            new = [q for q in quotes if q.time > self._taken]
            open_.end, open_.detail = max(open_.end or open_.time, quotes[-1].time), detail
            open_.members += [n for n in _members(new) if n not in open_.members]
            open_.evidence += new[: EVIDENCE - len(open_.evidence)]
        elif len(self.alerts) < MAX_ALERTS:
            self.alerts.append(Alert(kind=self.kind, time=quotes[0].time, end=quotes[-1].time,  # type: ignore[arg-type]
                                     members=_members(quotes), evidence=quotes[:EVIDENCE], detail=detail,
                                     category=self.category))  # fmt: skip
        else:
            return
        self._taken = max(q.time for q in quotes)


class RiskWaves:
    """Three or more risky messages within an hour (or two members' fraud messages within
    ``FRAUD_PAIR``), named by their commonest category: one wave of impersonation scams is often
    flagged part fraud, part spam_ads."""

    def __init__(self) -> None:
        self.recent: deque[tuple[Quote, tuple[str, ...]]] = deque()
        self.fraud: deque[datetime] = deque()  # members' fraud messages within FRAUD_PAIR
        self.episodes: dict[str, Episodes] = {}

    def add(self, signal: Signal) -> None:
        if not signal.categories:
            return
        t = signal.message.time
        self.recent.append((signal.quote(), signal.categories))
        while t - self.recent[0][0].time > RISK_WINDOW:
            self.recent.popleft()
        if "fraud" in signal.categories and not signal.staff:
            self.fraud.append(t)
        while self.fraud and t - self.fraud[0] > FRAUD_PAIR:
            self.fraud.popleft()
        if len(self.recent) < RISK_WAVE and len(self.fraud) < 2:
            return
        category = Counter(c for _, cats in self.recent for c in cats).most_common(1)[0][0]
        episodes = self.episodes.setdefault(category, Episodes("risk_wave", RISK_WINDOW, category))
        episodes.hit([q for q, _ in self.recent], f"一小时内出现 {len(self.recent)} 条风险消息（主要是 {category}）")

    def alerts(self) -> list[Alert]:
        return [a for e in self.episodes.values() for a in e.alerts]


class Arguments:
    """Two or three members trading negative messages, turn after turn (群体极化)."""

    def __init__(self) -> None:
        self.recent: deque[Signal] = deque()
        self.senders: Counter[str] = Counter()  # of ``recent``, kept as it moves (no rescan per message)
        self.episodes = Episodes("heated_argument", ARGUMENT_WINDOW)

    def add(self, signal: Signal) -> None:
        if not signal.hostile:
            return
        self.recent.append(signal)
        self.senders[signal.message.sender] += 1
        while signal.message.time - self.recent[0].message.time > ARGUMENT_WINDOW:
            gone = self.recent.popleft().message.sender
            self.senders[gone] -= 1
            if not self.senders[gone]:
                del self.senders[gone]
        if len(self.recent) < ARGUMENT_MESSAGES:
            return
        counts = heapq.nlargest(2, ((c, n) for n, c in self.senders.items()))
        if len(counts) < 2 or counts[1][0] < 2 or counts[0][0] + counts[1][0] < ARGUMENT_SHARE * len(self.recent):
            return
        top = {n for _, n in counts}
        pair = [s.message.sender for s in self.recent if s.message.sender in top]
        turns = sum(a != b for a, b in zip(pair, pair[1:], strict=False))
        if turns >= ARGUMENT_TURNS:
            quotes = [s.quote() for s in self.recent if s.message.sender in top]
            a, b = sorted(top)
            self.episodes.hit(quotes, f"{a} 与 {b} 20 分钟内互相发出 {len(pair)} 条负面消息，来回 {turns} 轮")


class Unanswered:
    """Complaints with no staff message within the community's target (only with a staff list)."""

    def __init__(self, target: timedelta) -> None:
        self.target = target
        self.pending: deque[Signal] = deque(maxlen=1000)
        self.episodes = Episodes("unanswered_complaint", target)
        self.asked = 0
        self.answered_in_time = 0
        self.response_minutes: list[float] = []

    def add(self, signal: Signal) -> None:
        if signal.staff:
            for asked in self.pending:
                minutes = (signal.message.time - asked.message.time).total_seconds() / 60
                self._settle(asked, minutes)
            self.pending.clear()
        elif signal.asks:
            self.asked += 1
            self.pending.append(signal)

    def _settle(self, asked: Signal, minutes: float | None) -> None:
        if minutes is not None and len(self.response_minutes) < 100_000:
            self.response_minutes.append(minutes)
        if minutes is not None and minutes <= self.target.total_seconds() / 60:
            self.answered_in_time += 1
        elif asked.needs_answer:
            waited = f"{minutes:.0f} 分钟后才有工作人员发言" if minutes is not None else "至今没有工作人员回应"
            self.episodes.hit([asked.quote()], f"{asked.message.sender} 的投诉{waited}（目标 "
                                               f"{self.target.total_seconds() / 60:.0f} 分钟）")  # fmt: skip

    def close(self, end: datetime) -> None:
        """At the end of the log: complaints older than the target that nobody answered."""
        for asked in self.pending:
            if end - asked.message.time >= self.target:
                self._settle(asked, None)
        self.pending.clear()
