"""An operator's request in plain words → a brief: 「帮我写一条周五晚上的活动预告，618 满300减50」.

Closed vocabularies only (kind names, weekdays, relative days): what is not recognised stays
in the brief text for the draft to carry, and every number-bearing phrase (满300减50, 6月18日)
becomes a ``must_include`` so the gate proves the draft kept it."""

from __future__ import annotations

import datetime as dt
import re

from assistant.drafting.models import Brief

#: Words that name a kind, longest first so 活动预告 wins over 活动.
KIND_WORDS: tuple[tuple[str, str], ...] = (
    ("活动预告", "activity_preview"), ("活动通知", "activity_notice"), ("直播", "live_notice"),
    ("早报", "morning_brief"), ("早安", "morning_brief"), ("晚报", "evening_brief"), ("晚安", "evening_brief"),
    ("干货", "knowledge_post"), ("知识", "knowledge_post"), ("故事", "user_story"), ("欢迎", "welcome"),
    ("群规", "rules"), ("节日", "holiday"), ("祝福", "holiday"), ("促销", "promotion"), ("优惠", "promotion"),
    ("福利", "promotion"), ("召回", "reactivation"), ("互动", "reactivation"), ("告别", "farewell"),
    ("预告", "activity_preview"), ("活动", "activity_notice"),
)  # fmt: skip
_WEEKDAYS = "一二三四五六日天"
_WEEKDAY = re.compile(r"(下?)(?:周|星期|礼拜)([一二三四五六日天])")
_RELATIVE = {"今天": 0, "明天": 1, "后天": 2}
_MONTH_DAY = re.compile(r"(\d{1,2})月(\d{1,2})[日号]")
_REQUEST = re.compile(r"^(?:请|麻烦)?(?:帮我|给我|帮忙)?(?:写|起草|拟|出)(?:一|1)?(?:条|篇|段|个)?")
_FACT = re.compile(r"[^\s，,。；;！!？?、]*\d[^\s，,。；;！!？?、]*")


def parse_request(text: str, community: str, today: dt.date) -> Brief:
    kind = next((k for word, k in KIND_WORDS if word in text), "activity_notice")
    head, _, rest = text.partition("，") if "，" in text else text.partition(",")
    brief = rest.strip() if rest and _REQUEST.match(head.strip()) else text.strip()
    return Brief(community=community, kind=kind, date=_date(text, today), brief=brief,  # type: ignore[arg-type]
                 must_include=list(dict.fromkeys(m for m in _FACT.findall(brief) if len(m) >= 2)))  # fmt: skip


def _date(text: str, today: dt.date) -> dt.date:
    for word, days in _RELATIVE.items():
        if word in text:
            return today + dt.timedelta(days=days)
    if match := _MONTH_DAY.search(text):
        month, day = int(match.group(1)), int(match.group(2))
        try:
            found = dt.date(today.year, month, day)
        except ValueError:
            return today
        return found if found >= today else dt.date(today.year + 1, month, day)
    if match := _WEEKDAY.search(text):
        target = min(_WEEKDAYS.index(match.group(2)), 6)
        ahead = (target - today.weekday()) % 7
        return today + dt.timedelta(days=ahead + (7 if match.group(1) else 0))
    return today
