"""Festival dates for 2025–2035 against published almanac dates (typed in from the Hong Kong
Observatory's Gregorian–lunar tables and the State Council's holiday notices, not computed by
lunar-python; 七夕 2034 re-checked by hand with Meeus' new-moon series: new moon 2034-08-14
11:53 Beijing time, so 七月初七 is 08-20), plus plan slots."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.drafting.calendar import holidays, plan_from_profile, slots, statutory_years
from assistant.drafting.models import Campaign

D = dt.date
KNOWN = {
    "spring_festival": [D(2025, 1, 29), D(2026, 2, 17), D(2027, 2, 6), D(2028, 1, 26), D(2029, 2, 13), D(2030, 2, 3),
                        D(2031, 1, 23), D(2032, 2, 11), D(2033, 1, 31), D(2034, 2, 19), D(2035, 2, 8)],
    "dragon_boat": [D(2025, 5, 31), D(2026, 6, 19), D(2027, 6, 9), D(2028, 5, 28), D(2029, 6, 16), D(2030, 6, 5),
                    D(2031, 6, 24), D(2032, 6, 12), D(2033, 6, 1), D(2034, 6, 20), D(2035, 6, 10)],
    "mid_autumn": [D(2025, 10, 6), D(2026, 9, 25), D(2027, 9, 15), D(2028, 10, 3), D(2029, 9, 22), D(2030, 9, 12),
                   D(2031, 10, 1), D(2032, 9, 19), D(2033, 9, 8), D(2034, 9, 27), D(2035, 9, 16)],
    "qixi": [D(2025, 8, 29), D(2026, 8, 19), D(2027, 8, 8), D(2028, 8, 26), D(2029, 8, 16), D(2030, 8, 5),
             D(2031, 8, 24), D(2032, 8, 12), D(2033, 8, 1), D(2034, 8, 20), D(2035, 8, 10)],
    "qingming": [D(2025, 4, 4), D(2026, 4, 5), D(2027, 4, 5), D(2028, 4, 4), D(2029, 4, 4), D(2030, 4, 5),
                 D(2031, 4, 5), D(2032, 4, 4), D(2033, 4, 4), D(2034, 4, 5), D(2035, 4, 5)],
}  # fmt: skip


@pytest.mark.parametrize("year", range(2025, 2036))
def test_festivals_match_the_almanac(year: int) -> None:
    found = {h.id: h.date for h in holidays(D(year, 1, 1), D(year, 12, 31))}
    for hid, dates in KNOWN.items():
        assert found[hid] == dates[year - 2025], (hid, year)
    assert found["new_years_eve"] == found["spring_festival"] - dt.timedelta(days=1)
    assert found["lantern"] == found["spring_festival"] + dt.timedelta(days=14)
    assert {found[h] for h in ("new_year", "618", "double_11")} == {D(year, 1, 1), D(year, 6, 18), D(year, 11, 11)}


def test_statutory_days_off_and_makeup_workdays_where_known() -> None:
    days = {(h.date, h.id) for h in holidays(D(2026, 9, 15), D(2026, 10, 12))}
    assert (D(2026, 10, 1), "day_off") in days and (D(2026, 10, 10), "makeup_workday") in days
    late = max(statutory_years()) + 3  # a year the installed chinese-calendar never announced
    ids = {h.id for h in holidays(D(late, 1, 1), D(late, 12, 31))}
    assert "day_off" not in ids and {"spring_festival", "national_day"} <= ids


def test_solar_terms_on_request() -> None:
    terms = [h for h in holidays(D(2031, 1, 1), D(2031, 12, 31), solar_terms=True) if h.id.startswith("solar_term")]
    assert len(terms) == 23  # 清明 is listed as the festival
    assert any(h.name == "冬至" and h.date.month == 12 for h in terms)


def test_slots_follow_weekly_plan_festivals_and_campaigns() -> None:
    times = {"knowledge_post": "12:00", "activity_preview": "19:00", "promotion": "20:00"}
    plan = plan_from_profile({"mon": "knowledge_post", "fri": "activity_preview"}, times)
    plan.campaigns.append(Campaign(id="c618", date=D(2026, 6, 16), theme="618 预热", brief="满300减50"))
    got = slots(plan, D(2026, 6, 15), D(2026, 6, 21))
    assert [(s.date.day, s.time, s.kind) for s in got] == [
        (15, "12:00", "knowledge_post"), (16, "20:00", "promotion"), (18, "20:00", "promotion"),
        (19, "09:00", "holiday"), (19, "19:00", "activity_preview"),
    ]  # fmt: skip
    assert got[1].brief == "满300减50" and got[3].theme == "端午节"
