"""Festivals, shopping days, statutory days off and a community's posting slots, for any year.

Lunar festivals and 节气 come from ``lunar-python`` (astronomical computation, any year);
statutory days off and 调休 make-up workdays from ``chinese-calendar``, which only knows the
years announced before its release — for later years those two entries are simply absent
(the festivals themselves are still there). No date table for one year is typed in here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import chinese_calendar
from lunar_python import Lunar, Solar

from assistant.drafting.models import DEFAULT_THEMES, Holiday, Plan, Slot, WeeklySlot

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Fixed solar dates: (month, day) → (id, name).
FIXED: dict[tuple[int, int], tuple[str, str]] = {
    (1, 1): ("new_year", "元旦"),
    (2, 14): ("valentines_day", "情人节"),
    (3, 8): ("womens_day", "妇女节"),
    (5, 1): ("labour_day", "劳动节"),
    (5, 20): ("520", "520"),
    (6, 1): ("childrens_day", "儿童节"),
    (6, 18): ("618", "618 购物节"),
    (9, 10): ("teachers_day", "教师节"),
    (10, 1): ("national_day", "国庆节"),
    (11, 11): ("double_11", "双11"),
    (12, 12): ("double_12", "双12"),
    (12, 25): ("christmas", "圣诞节"),
}
#: Lunar dates: (month, day) → (id, name).
LUNAR: dict[tuple[int, int], tuple[str, str]] = {
    (1, 1): ("spring_festival", "春节"),
    (1, 15): ("lantern", "元宵节"),
    (5, 5): ("dragon_boat", "端午节"),
    (7, 7): ("qixi", "七夕"),
    (8, 15): ("mid_autumn", "中秋节"),
    (9, 9): ("double_ninth", "重阳节"),
    (12, 8): ("laba", "腊八节"),
}
#: The 24 solar terms' names (not dates): name → id.
SOLAR_TERMS: dict[str, str] = {
    "立春": "lichun", "雨水": "yushui", "惊蛰": "jingzhe", "春分": "chunfen", "清明": "qingming",
    "谷雨": "guyu", "立夏": "lixia", "小满": "xiaoman", "芒种": "mangzhong", "夏至": "xiazhi",
    "小暑": "xiaoshu", "大暑": "dashu", "立秋": "liqiu", "处暑": "chushu", "白露": "bailu",
    "秋分": "qiufen", "寒露": "hanlu", "霜降": "shuangjiang", "立冬": "lidong", "小雪": "xiaoxue",
    "大雪": "daxue", "冬至": "dongzhi", "小寒": "xiaohan", "大寒": "dahan",
}  # fmt: skip
#: Shopping days get a promotion post; the other festivals a holiday greeting.
SHOPPING = frozenset({"520", "618", "double_11", "double_12"})
_STATUTORY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}  # fmt: skip


def holidays(start: dt.date, end: dt.date, solar_terms: bool = False) -> list[Holiday]:
    """Festivals and shopping days in ``[start, end]``, plus statutory days off (``day_off``)
    and 调休 make-up workdays (``makeup_workday``) for the years chinese-calendar knows;
    ``solar_terms`` adds the other 23 节气 (清明 is always in, as a festival)."""
    found: list[Holiday] = []
    for year in range(start.year, end.year + 1):
        found += _year(year, solar_terms)
    return sorted((h for h in found if start <= h.date <= end), key=lambda h: (h.date, h.id))


@lru_cache(maxsize=64)
def _year(year: int, solar_terms: bool) -> tuple[Holiday, ...]:
    """One year's days, computed once (the 节气 take a few ms of astronomy each)."""
    return (*_festivals(year, solar_terms), *_statutory(year))


def _festivals(year: int, solar_terms: bool) -> Iterator[Holiday]:
    for (month, day), (hid, name) in FIXED.items():
        yield Holiday(date=dt.date(year, month, day), id=hid, name=name)
    for (month, day), (hid, name) in LUNAR.items():
        # the lunar year that starts in `year` holds its festivals, except 腊八 of the one before
        lunar_year = year - 1 if month == 12 else year
        yield Holiday(date=_solar(Lunar.fromYmd(lunar_year, month, day).getSolar()), id=hid, name=name)
    new_year = _solar(Lunar.fromYmd(year, 1, 1).getSolar())
    yield Holiday(date=new_year - dt.timedelta(days=1), id="new_years_eve", name="除夕")
    yield Holiday(date=_nth_weekday(year, 5, 6, 2), id="mothers_day", name="母亲节")
    yield Holiday(date=_nth_weekday(year, 6, 6, 3), id="fathers_day", name="父亲节")
    for name, date in _solar_terms(year):
        if name == "清明":
            yield Holiday(date=date, id="qingming", name="清明节")
        elif solar_terms:
            yield Holiday(date=date, id=f"solar_term_{SOLAR_TERMS[name]}", name=name)


def _solar_terms(year: int) -> Iterator[tuple[str, dt.date]]:
    """Each term of ``year`` once: a lunar year's table runs from the previous 冬至 on."""
    seen: set[str] = set()
    for lunar_year in (year, year + 1):
        for name, solar in Lunar.fromYmd(lunar_year, 1, 1).getJieQiTable().items():
            date = _solar(solar)
            if name in SOLAR_TERMS and date.year == year and name not in seen:
                seen.add(name)
                yield name, date


def _statutory(year: int) -> Iterator[Holiday]:
    """Empty for a year chinese-calendar has no announcement for (its data ends at its release)."""
    for table, hid, label in ((chinese_calendar.holidays, "day_off", "{}放假"),
                              (chinese_calendar.workdays, "makeup_workday", "调休上班（{}）")):  # fmt: skip
        for date, name in table.items():
            if date.year == year:
                yield Holiday(date=date, id=hid, name=label.format(_STATUTORY_NAMES.get(name, name)))


def statutory_years() -> range:
    """Years with announced days off in the installed chinese-calendar."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def _solar(solar: Solar) -> dt.date:
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def plan_from_profile(weekly_plan: Mapping[Any, str], posting_times: Mapping[str, str]) -> Plan:
    """The starting plan: one post a day from the profile's ``weekly_plan``, at its ``posting_times``."""
    weekly = {day: [WeeklySlot(kind=kind)] for day, kind in weekly_plan.items()}  # type: ignore[arg-type]
    return Plan.model_validate({"weekly": weekly, "posting_times": dict(posting_times)})


def slots(plan: Plan, start: dt.date, end: dt.date, festivals: Callable[..., list[Holiday]] = holidays) -> list[Slot]:
    """Every post the plan schedules in ``[start, end]`` (dates in the plan's time zone):
    weekly themes, festival greetings / shopping-day promotions, and one-off campaigns."""
    found: list[Slot] = []
    day = start
    while day <= end:
        for weekly in plan.weekly.get(_WEEKDAYS[day.weekday()], []):  # type: ignore[call-overload]
            theme = weekly.theme or DEFAULT_THEMES.get(weekly.kind, weekly.kind)
            found.append(Slot(date=day, time=weekly.time or plan.time_for(weekly.kind), kind=weekly.kind, theme=theme))
        day += dt.timedelta(days=1)
    for holiday in festivals(start, end):
        if holiday.id in plan.festivals:
            kind = "promotion" if holiday.id in SHOPPING else "holiday"
            found.append(Slot(date=holiday.date, time=plan.time_for(kind), kind=kind, theme=holiday.name,
                              brief=f"{holiday.name}"))  # fmt: skip
    for campaign in plan.campaigns:
        if start <= campaign.date <= end:
            found.append(
                Slot(date=campaign.date, time=campaign.time or plan.time_for(campaign.kind), kind=campaign.kind,
                     theme=campaign.theme, brief=campaign.brief, must_include=campaign.must_include,
                     must_avoid=campaign.must_avoid)
            )  # fmt: skip
    unique = {(s.date, s.time, s.kind): s for s in sorted(found, key=lambda s: (s.date, s.time, s.kind))}
    return list(unique.values())
