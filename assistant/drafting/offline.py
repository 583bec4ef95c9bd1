"""The offline drafting engine: a post composed from a library script, the brief and the profile.

No model: the operator's own vetted scripts carry the wording, the brief's facts are woven in
after the headline, slots are filled from the brief and the profile, and a deterministic
choice keyed on (community, kind, date) rotates scripts and phrasings so that the same weekly
slot does not repeat word for word a week later."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.drafting.models import DEFAULT_THEMES, Brief, Composed, Plan
from assistant.knowledge.models import CommunityProfile, Script

_SLOT = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_WEEKDAY = "一二三四五六日"
_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3])[:：]([0-5]\d)(?!\d)")
#: How the brief is introduced after the headline: a sentence, not a bullet list.
LEADS = ("先说重点：{brief}。", "这次想和大家说的是：{brief}。", "划个重点👉 {brief}。", "提前告诉大家，{brief}。",
         "简单说一下：{brief}。")  # fmt: skip
_CLOSINGS = {
    "warm": ("有问题随时在群里说，我们都在 💛", "大家一起交流，带娃路上不孤单 🌱", "欢迎在群里分享你的想法～ 😊",
             "有疑问随时找小助手，祝大家都顺顺利利 🌼"),
    "concise": ("有问题在群里留言，助教会及时回复。", "一起加油 💪", "欢迎在群里交流你的做法。",
                "行动起来，下周见 ✍️"),
}  # fmt: skip
#: Kinds whose {date} and {start_time} are the post's own (a brief, an event that day); elsewhere
#: a date is a deadline or an expiry that only the brief's facts can give.
DATED_KINDS = frozenset({"morning_brief", "evening_brief", "live_notice", "activity_preview", "activity_notice"})
_EMPTY_BRACKETS = re.compile(r"「\s*」|《\s*》|（\s*）|\(\s*\)|【\s*】|“\s*”")
#: Posts that come round once a year (a festival greeting) or once at all (a farewell).
OCCASIONAL_KINDS = frozenset({"holiday", "farewell"})
#: Slots naming one person: unknown in a group post, so the name leaves and the line stays
#: ("{nickname} 你好" → "你好").
PERSON_SLOTS = ("nickname", "member")


@dataclass(frozen=True)
class Variation:
    """Deterministic choices for one (community, kind, date): each choice steps by one option a
    week (a year for occasional kinds), so neither next week's post nor next year's festival
    greeting repeats this one's phrasing."""

    offset: int
    step: int

    @classmethod
    def of(cls, community: str, kind: str, date: dt.date) -> Variation:
        digest = hashlib.sha256(f"{community}|{kind}".encode()).digest()
        step = date.year if kind in OCCASIONAL_KINDS else date.toordinal() // 7
        return cls(offset=int.from_bytes(digest[:8], "big"), step=step)

    def pick(self, options: Sequence[str], salt: int = 0) -> str:
        return options[(self.step + (self.offset >> (salt * 5))) % len(options)]

    def rotation(self, count: int) -> list[int]:
        """Script order for this date: consecutive weeks start from consecutive scripts."""
        first = (self.step + self.offset) % count if count else 0
        return [(first + i) % count for i in range(count)]


def tone_of(profile: CommunityProfile) -> str:
    """``warm`` (emoji and empathy welcome) or ``concise`` (few emoji, straight to the point)."""
    return "warm" if any(w in profile.tone for w in ("温暖", "表情", "亲切", "贴心")) else "concise"


def slot_values(brief: Brief, time: str, profile: CommunityProfile) -> dict[str, str]:
    """Values for script slots: the brief's own facts first, then what the slot and profile tell."""
    day = brief.date
    values = {"group_name": profile.name}
    if brief.kind in DATED_KINDS:
        values.update({"date": f"{day.month}月{day.day}日（周{_WEEKDAY[day.weekday()]}）", "start_time": time,
                       "weekday": f"周{_WEEKDAY[day.weekday()]}"})  # fmt: skip
    if brief.theme and brief.theme not in DEFAULT_THEMES.values():  # an operator's own theme names the event
        values["topic"] = values["activity_name"] = brief.theme
    times = [f"{h.zfill(2)}:{m}" for h, m in _TIME.findall(brief.brief)]
    if times:
        values["start_time"] = times[0]
        if len(times) > 1:
            values["end_time"] = times[1]
    return {**values, **{k: v for k, v in brief.facts.items() if v.strip()}}


def fill(body: str, values: dict[str, str]) -> str:
    """Slots filled; an unknown person's name is left out, a line with another slot nobody can
    fill is dropped (the headline just loses the hole), so no ``{placeholder}`` is ever posted."""
    lines = []
    for person in PERSON_SLOTS:
        if person not in values:
            body = re.sub(rf"[ \t]*@?\{{{person}\}}[ \t]*", "", body)
    for number, line in enumerate(body.splitlines()):
        missing = [name for name in _SLOT.findall(line) if name not in values]
        if missing and number > 0:
            continue
        for name in missing:
            line = re.sub(rf"[：:]?\s*\{{{name}\}}", "", line)
        if missing:
            line = _EMPTY_BRACKETS.sub("", line)
        lines.append(_SLOT.sub(lambda m: values[m.group(1)], line))
    return "\n".join(lines)


def compose(
    script: Script, brief: Brief, time: str, profile: CommunityProfile, plan: Plan, facts: Sequence[str] = ()
) -> Composed:
    """One post from one script. ``facts`` are short FAQ sentences worth adding (already vetted)."""
    variation = Variation.of(profile.id, brief.kind, brief.date)
    tone = tone_of(profile)
    lines = fill(script.body, slot_values(brief, time, profile)).splitlines()
    head, body = lines[:1], lines[1:]
    said = brief.brief.strip().rstrip("。.!！")
    woven = [variation.pick(LEADS, 1).format(brief=said)] if said else []
    missing = [p for p in brief.must_include if p.strip() and p not in "\n".join([*lines, said])]
    if missing:
        woven.append(f"别忘了：{'，'.join(missing)}。")
    extra = [f"小提示：{fact}" for fact in facts]
    closing = [variation.pick(_CLOSINGS[tone], 2)]
    body = _fit(head + woven, body, extra + closing, plan)
    return Composed(text="\n".join(head + woven + body + extra + closing), scripts=[script.id], engine="offline")


def _fit(before: list[str], body: list[str], after: list[str], plan: Plan) -> list[str]:
    """Drops script lines from the end of its body until the post fits WeChat norms."""
    body = list(body)
    while body and (
        len("\n".join(before + body + after)) > plan.max_chars or len(before + body + after) > plan.max_lines
    ):
        body.pop(-2 if len(body) > 1 else -1)
    return body
