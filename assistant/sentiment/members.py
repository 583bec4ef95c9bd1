"""Members over the window: lifecycle segments and who is drifting away (never staff).

At risk needs a sustained bad experience in the log: a complaint followed up by another (the
first answer did not settle it), or a member saying they will leave. One complaint and then
quiet is how most complaints end, answered or not; activity alone is no reason either. The
summary must not claim what the log does not show."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from assistant.sentiment.models import AtRisk, Quote
from assistant.sentiment.signals import Signal

#: Silent for at least this share of the window after the last bad message (and the group
#: carried on with at least ``GROUP_WENT_ON`` messages meanwhile).
SILENT_SHARE = 0.3
GROUP_WENT_ON = 10
RECENT = 4
#: Bad messages (complaints) that make an experience sustained without a word about leaving.
SUSTAINED = 2


@dataclass(slots=True)
class MemberStats:
    first: datetime
    last: datetime
    messages: int = 0
    negative: int = 0
    positive: int = 0
    days: set[str] = field(default_factory=set)
    recent: deque[Signal] = field(default_factory=lambda: deque(maxlen=RECENT))
    bad: list[Quote] = field(default_factory=list)  # the last few bad messages (complaints, leaving)
    bad_count: int = 0
    before_bad: int = 0  # messages before the first negative one
    after_bad: int = 0  # messages after the latest negative one
    seen_at: int = 0  # group message count at this member's last message
    early_negative: int = 0  # negative messages among the first RECENT
    risky: int = 0
    leaving: Quote | None = None  # the last message saying they will leave or stop buying

    def add(self, signal: Signal, group_count: int, day: str) -> None:
        t = signal.message.time
        self.first, self.last = min(self.first, t), max(self.last, t)
        self.messages += 1
        self.days.add(day)
        self.seen_at = group_count
        self.recent.append(signal)
        if self.messages <= RECENT and signal.negative:
            self.early_negative += 1
        if signal.positive:
            self.positive += 1
        self.risky += bool(signal.categories)
        if signal.leaving:
            self.leaving = signal.quote()
        if signal.negative:
            self.negative += 1
        if signal.bad:
            self.after_bad = 0
            self.bad_count += 1
            self.bad = [*self.bad[-2:], signal.quote()]
        elif self.bad and not signal.negative:  # more anger is the same bad experience going on
            self.after_bad += 1
        else:
            self.before_bad += 1


def at_risk(members: dict[str, MemberStats], staff: set[str], start: datetime, end: datetime,
            group_count: int) -> list[AtRisk]:  # fmt: skip
    span = (end - start).total_seconds() or 1.0
    found = []
    for name, m in members.items():
        if name in staff or m.risky * 2 >= m.messages:
            continue  # staff are never at risk; nor are spammers, who are the risk
        if m.bad_count < SUSTAINED and m.leaving is None:
            continue
        reasons = []
        quiet = (end - m.last).total_seconds() / span
        if (
            m.before_bad >= 1
            and m.after_bad <= 1
            and quiet >= SILENT_SHARE
            and group_count - m.seen_at >= GROUP_WENT_ON
        ):
            reasons.append(f"不愉快经历后沉默：最后发言后群里又有 {group_count - m.seen_at} 条消息，本人未再发言")
        if m.leaving is not None:
            reasons.append(f"表示要离开或不再购买：「{m.leaving.text[:40]}」")
        recent_negative = sum(s.negative for s in m.recent)
        turned = recent_negative >= 3 and any(s.bad for s in m.recent)
        if m.messages >= RECENT + 2 and turned and m.early_negative == 0:
            reasons.append(f"情绪转负：最近 {len(m.recent)} 条中 {recent_negative} 条负面，早先没有")
        if reasons:
            found.append(AtRisk(member=name, reasons=reasons, evidence=m.bad))
    return sorted(found, key=lambda r: r.evidence[-1].time)


def segments(members: dict[str, MemberStats], staff: set[str], start: datetime, end: datetime,
             risky: set[str]) -> dict[str, list[str]]:  # fmt: skip
    """新成员 first seen after the first fifth of the window; 核心 the busiest (≥ 3× the median
    and ≥ 5 messages); 沉默 not seen in the second half; 流失预警 the members at risk."""
    span = end - start
    counts = sorted(m.messages for n, m in members.items() if n not in staff)
    median = counts[len(counts) // 2] if counts else 0
    out: dict[str, list[str]] = {"新成员": [], "活跃": [], "核心": [], "沉默": [], "流失预警": []}
    for name, m in sorted(members.items(), key=lambda kv: -kv[1].messages):
        if name in staff:
            continue
        if name in risky:
            out["流失预警"].append(name)
        elif m.messages >= max(5, 3 * median):
            out["核心"].append(name)
        elif span and m.first >= start + span / 5:
            out["新成员"].append(name)
        elif span and m.last < start + span / 2:
            out["沉默"].append(name)
        else:
            out["活跃"].append(name)
    return out
