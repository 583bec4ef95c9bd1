"""One pass over a chat log's signals, keeping counters, not messages: memory grows with
members, hours and topic words, never with the number of messages."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from typing import TypeVar

from assistant.sentiment.detectors import Arguments, Episodes, RiskWaves, Unanswered
from assistant.sentiment.members import MemberStats
from assistant.sentiment.models import Alert, Complaint, Quote
from assistant.sentiment.signals import Signal

EXAMPLES = 3
K = TypeVar("K")
#: Negative messages remembered per topic word to merge clusters that are the same complaints.
CLUSTER_IDS = 5000
#: A complaint cluster alert needs this many complaints from this many members.
CLUSTER_MESSAGES, CLUSTER_MEMBERS = 4, 3
#: An hour is a spike or a peak with at least this many negative / positive messages, three
#: times the usual hour's, and a share of the hour well above the log's own.
SPIKE_MIN, PEAK_MIN = 4, 8


@dataclass(slots=True)
class Bucket:
    """One hour (or day) of the log."""

    messages: int = 0
    positive: int = 0
    negative: int = 0
    risky: int = 0
    score: float = 0.0
    members: set[str] = field(default_factory=set)
    asked: int = 0
    worst: list[Quote] = field(default_factory=list)
    best: list[Quote] = field(default_factory=list)

    def add(self, s: Signal) -> None:
        self.messages += 1
        self.score += s.score
        self.members.add(s.message.sender)
        self.risky += bool(s.categories)
        self.asked += s.asks
        if s.negative:
            self.negative += 1
            if len(self.worst) < EXAMPLES or s.score < (self.worst[-1].score or 0.0):
                self.worst = _keep(self.worst, s.quote(), lambda q: q.score or 0.0)
        elif s.positive:
            self.positive += 1
            if len(self.best) < EXAMPLES or s.score > (self.best[-1].score or 0.0):
                self.best = _keep(self.best, s.quote(), lambda q: -(q.score or 0.0))

    def row(self, start: datetime) -> dict[str, object]:
        return {"time": start.isoformat(), "messages": self.messages, "members": len(self.members),
                "positive": self.positive, "neutral": self.messages - self.positive - self.negative,
                "negative": self.negative, "risky": self.risky,
                "mean_score": round(self.score / self.messages, 3) if self.messages else 0.0}  # fmt: skip


def _bucket(buckets: dict[K, Bucket], key: K) -> Bucket:
    """``setdefault`` without building a throw-away bucket for every message."""
    bucket = buckets.get(key)
    if bucket is None:
        bucket = buckets[key] = Bucket()
    return bucket


def _keep(quotes: list[Quote], new: Quote, key: Callable[[Quote], float]) -> list[Quote]:
    return sorted([*quotes, new], key=key)[:EXAMPLES]


@dataclass(slots=True)
class TopicStats:
    count: int = 0
    score: float = 0.0
    negative: int = 0
    positive: int = 0
    members: set[str] = field(default_factory=set)
    complaints: int = 0  # distinct complaint texts: one grumble said word for word by five is one
    complainers: set[str] = field(default_factory=set)
    complaint_ids: list[int] = field(default_factory=list)
    complaint_texts: set[int] = field(default_factory=set)  # hashes, up to CLUSTER_IDS
    examples: list[Quote] = field(default_factory=list)

    def add(self, s: Signal, negative: bool, grievance: bool, position: int) -> None:
        self.count += 1
        self.score += s.score
        self.members.add(s.message.sender)
        self.positive += s.positive
        self.negative += negative
        if grievance:
            self.complain(s, position)

    def complain(self, s: Signal, position: int) -> None:
        self.complainers.add(s.message.sender)
        if len(self.complaint_ids) < CLUSTER_IDS:
            self.complaint_ids.append(position)
        key = hash(s.message.text)
        if key in self.complaint_texts:
            return
        self.complaints += 1
        if len(self.complaint_texts) < CLUSTER_IDS:
            self.complaint_texts.add(key)
        if len(self.examples) < EXAMPLES:
            self.examples.append(s.quote())


def _topic(topics: dict[str, TopicStats], word: str) -> TopicStats:
    topic = topics.get(word)
    if topic is None:
        topic = topics[word] = TopicStats()
    return topic


def _cluster(topic: str, stats: list[TopicStats]) -> Complaint:
    """One complaint cluster from the topic words that make it: its complaints are theirs, each
    text counted once (the first word's examples first, they name the topic)."""
    texts = set().union(*(t.complaint_texts for t in stats))
    examples: dict[str, Quote] = {}
    for quote in (q for t in stats for q in t.examples):
        examples.setdefault(quote.text, quote)
    return Complaint(topic=topic, count=max(len(texts), *(t.complaints for t in stats)),
                     members=sorted(set().union(*(t.complainers for t in stats))),
                     examples=sorted(list(examples.values())[:EXAMPLES], key=lambda q: q.time))  # fmt: skip


class Window:
    """Feed it signals in time order (``add``), then read the aggregates."""

    def __init__(self, staff: set[str], response: timedelta) -> None:
        self.staff = staff
        self.count = 0
        self.labels: Counter[str] = Counter()
        self.score = 0.0
        self.start: datetime | None = None
        self.end: datetime | None = None
        self.hours: dict[datetime, Bucket] = {}
        self.days: dict[str, Bucket] = {}
        self.weeks: dict[str, set[str]] = {}
        self.groups: set[str] = set()
        self.members: dict[str, MemberStats] = {}
        self.topics: dict[str, TopicStats] = {}
        self.compounds: dict[str, TopicStats] = {}  # of complaints only: see ``complaints``
        self.risky: Counter[str] = Counter()
        self.risky_examples: dict[str, list[Quote]] = {}
        self.risk_waves, self.arguments = RiskWaves(), Arguments()
        self.unanswered = Unanswered(response) if staff else None
        self._hour: tuple[datetime, datetime, str, Bucket, Bucket, set[str]] | None = None

    def _slot(self, t: datetime) -> tuple[datetime, datetime, str, Bucket, Bucket, set[str]]:
        """The hour's start and end, day, buckets and week of ``t``: worked out once an hour of
        the log, not once a message (messages come in time order)."""
        slot = self._hour
        if slot is None or not (slot[0] <= t < slot[1]) or t.tzinfo is not slot[0].tzinfo:
            hour = t.replace(minute=0, second=0, microsecond=0)
            day = t.date().isoformat()
            year, week, _ = t.isocalendar()
            senders = self.weeks.get(week_key := f"{year}-W{week:02d}")
            if senders is None:
                senders = self.weeks[week_key] = set()
            slot = self._hour = (hour, hour + timedelta(hours=1), day, _bucket(self.hours, hour),
                                 _bucket(self.days, day), senders)  # fmt: skip
        return slot

    def add(self, s: Signal) -> None:
        t = s.message.time
        self.count += 1
        self.labels[s.read.label] += 1
        self.score += s.score
        self.start = t if self.start is None else min(self.start, t)
        self.end = t if self.end is None else max(self.end, t)
        _, _, day, hour_bucket, day_bucket, week_senders = self._slot(t)
        hour_bucket.add(s)
        day_bucket.add(s)
        week_senders.add(s.message.sender)
        if s.message.group and len(self.groups) < 2:  # enough to tell one group from several
            self.groups.add(s.message.group)
        member = self.members.get(s.message.sender)
        if member is None:
            member = self.members[s.message.sender] = MemberStats(first=t, last=t)
        member.add(s, self.count, day)
        for category in s.categories:
            self.risky[category] += 1
            examples = self.risky_examples.setdefault(category, [])
            if len(examples) < EXAMPLES:
                examples.append(s.quote())
        self._topics(s)
        self.risk_waves.add(s)
        self.arguments.add(s)
        if self.unanswered is not None:
            self.unanswered.add(s)

    def _topics(self, s: Signal) -> None:
        if not s.words and not s.read.compounds:
            return
        negative, grievance = s.negative and not s.staff, s.grievance
        for word in s.words:
            _topic(self.topics, word).add(s, negative, grievance, self.count)
        if grievance:
            for compound in s.read.compounds:
                _topic(self.compounds, compound).add(s, negative, grievance, self.count)

    # --- reading the aggregates -------------------------------------------------------------

    @property
    def only_group(self) -> str | None:
        """The log's group when it holds one."""
        return next(iter(self.groups)) if len(self.groups) == 1 else None

    def top_topics(self, n: int = 10) -> list[dict[str, object]]:
        ranked = sorted(self.topics.items(), key=lambda kv: (-len(kv[1].members), -kv[1].count, kv[0]))[:n]
        return [{"topic": word, "count": t.count, "members": len(t.members),
                 "share": round(t.count / max(self.count, 1), 4), "mean_score": round(t.score / t.count, 3),
                 "positive": t.positive, "negative": t.negative}
                for word, t in ranked if len(t.members) >= 2]  # fmt: skip

    def complaints(self, n: int = 5) -> list[Complaint]:
        """Topic words ranked by how many members complained about them (``Signal.grievance``:
        grumbles are not complaints); a word whose complaints are mostly already in a chosen
        cluster joins that cluster instead (退款 and 到账), and its complaints count there. A
        compound jieba cut into single characters (猫/粮) competes like a word: two members
        complaining with the same two characters side by side make it one."""
        compounds = ((w, t) for w, t in self.compounds.items() if w not in self.topics)
        ranked = sorted(((w, t) for w, t in chain(self.topics.items(), compounds) if len(t.complainers) >= 2),
                        key=lambda kv: (-len(kv[1].complainers), -kv[1].complaints, kv[0]))  # fmt: skip
        chosen: list[tuple[list[str], list[TopicStats], set[int]]] = []
        for word, topic in ranked:
            ids = set(topic.complaint_ids)
            home = next((c for c in chosen if len(ids & c[2]) >= 0.5 * len(ids)), None)
            if home is not None:
                if len(home[0]) < 3:
                    home[0].append(word)
                home[1].append(topic)
                continue
            if len(chosen) < n:
                chosen.append(([word], [topic], ids))
        return [_cluster("/".join(words), stats) for words, stats, _ in chosen]

    def bucket_alerts(self) -> list[Alert]:
        """negative_spike and positive_peak: an hour far above the log's usual hour."""
        if len(self.hours) < 2:
            return []
        neg = statistics.median(b.negative for b in self.hours.values())
        pos = statistics.median(b.positive for b in self.hours.values())
        positive_share = self.labels["positive"] / max(self.count, 1)
        spikes, peaks = Episodes("negative_spike", timedelta(hours=1)), Episodes("positive_peak", timedelta(hours=1))
        for start, b in sorted(self.hours.items()):
            if b.negative >= max(SPIKE_MIN, 3 * neg + 1) and b.negative >= 0.5 * b.messages:
                detail = f"{start:%m-%d %H}点 负面消息 {b.negative} 条（占 {b.negative / b.messages:.0%}）"
                spikes.hit(sorted(b.worst, key=lambda q: q.time), f"{detail}，平时每小时约 {neg:g} 条")
            if b.positive >= max(PEAK_MIN, 3 * pos + 1) and b.positive >= max(0.3, 1.5 * positive_share) * b.messages:
                detail = f"{start:%m-%d %H}点 正面消息 {b.positive} 条（占 {b.positive / b.messages:.0%}）"
                peaks.hit(sorted(b.best, key=lambda q: q.time), detail)
        return spikes.alerts + peaks.alerts

    def cluster_alerts(self, complaints: list[Complaint]) -> list[Alert]:
        return [Alert(kind="complaint_cluster", time=c.examples[0].time, end=c.examples[-1].time, members=c.members,
                      evidence=c.examples, topic=c.topic,
                      detail=f"{len(c.members)} 人就「{c.topic}」发出 {c.count} 条投诉")
                for c in complaints if c.count >= CLUSTER_MESSAGES and len(c.members) >= CLUSTER_MEMBERS]  # fmt: skip
