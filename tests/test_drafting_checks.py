"""The compliance gate: each check named, with the spans that stop a post."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.drafting.checks import CheckContext, run_checks
from assistant.drafting.models import Plan, Span
from assistant.moderation.engine import ModerationService
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def context(sample_dir: Path) -> CheckContext:
    moderator = ModerationService.from_settings(make_settings(sample_dir)).moderator("course")
    plan = Plan(allowed_links=["xiaoya.example.cn"], contacts=["400-820-1234", "xiaoya_kefu"], max_chars=300)
    recent = [("p7", "本周读书会：《非暴力沟通》，周三 20:00 线上见，满300减50")]
    return CheckContext(plan=plan, moderator=moderator, banned_words=["速成"], must_include=["满300减50"],
                        must_avoid=["清仓"], recent=recent)  # fmt: skip


def failed(text: str, context: CheckContext) -> dict[str, list[str]]:
    gate = run_checks(text, context)
    assert gate.passed == (not gate.failed)
    assert [c.name for c in gate.checks][:3] == ["moderation", "ad_law", "must_include"]
    return {c.name: [e.text for e in c.evidence] for c in gate.checks if not c.passed}


def test_clean_post_passes(context: CheckContext) -> None:
    text = (
        "📣 本周福利：第一步打开小程序，第一次下单满300减50，最多可用 3 张券。\n"
        "详情见 https://xiaoya.example.cn/618 ，咨询 400-820-1234"
    )
    assert failed(text, context) == {}


@pytest.mark.parametrize(
    ("text", "check", "span"),
    [
        ("满300减50，全网第一的课程", "ad_law", "全网第一"),
        ("满300减50，效果100%看得见", "ad_law", "100%"),
        ("满300减50，国家级名师带你学", "ad_law", "国家级"),
        ("满300减50，学完包过", "ad_law", "包过"),
        ("满300减50，跟着理财课保证收益", "ad_law", "保证收益"),
        ("这门课能治愈拖延症", "must_include", "满300减50"),
        ("满300减50，年末清仓", "must_avoid", "清仓"),
        ("满300减50，三天速成", "must_avoid", "速成"),
        ("满300减50，时间 {date} 开始", "placeholders", "{date}"),
        ("满300减50，报名 t.cn/A6xYz", "links", "t.cn/A6xYz"),
        ("满300减50，报名 https://other.example.com/x", "links", "https://other.example.com/x"),
        ("满300减50，报名找 13912345678", "contacts", "13912345678"),
        ("满300减50，刷单返利日结", "moderation", "刷单返利"),
        ("本周读书会：《非暴力沟通》，周三 20:00 线上见，满300减50！", "near_duplicate", None),
        ("满300减50" + "，内容" * 200, "length", None),
    ],
)
def test_planted_violation_is_stopped_by_the_right_check(text: str, check: str, span: str | None,
                                                         context: CheckContext) -> None:  # fmt: skip
    found = failed(text, context)
    assert check in found, found
    if span is not None:
        assert span in found[check]


def test_evidence_spans_point_into_the_text(context: CheckContext) -> None:
    text = "满300减50，全網第一，加我微信 abc12345"
    gate = run_checks(text, context)
    for check in gate.checks:
        for span in check.evidence:
            assert text[span.start : span.end] == span.text
    assert {"ad_law", "contacts", "moderation"} <= set(gate.failed)


def test_a_check_that_breaks_fails_the_post(context: CheckContext) -> None:
    class Broken:
        name = "broken"

        def run(self, *_: object) -> list[Span]:
            raise RuntimeError("lexicon missing")

    gate = run_checks("满300减50", context, [Broken()])
    assert not gate.passed and "lexicon missing" in gate.checks[0].evidence[0].reason
