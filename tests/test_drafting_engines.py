"""Drafting engines: offline composition and its weekly variation, the LLM engine with its
fallback (FakeChatModel only), and reading an operator's request."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from assistant.drafting.checks import similarity
from assistant.drafting.models import Brief
from assistant.drafting.request import parse_request
from assistant.drafting.service import Drafter
from assistant.llm.base import FakeChatModel, LLMUnavailable
from assistant.retrieval.index import KnowledgeIndex
from assistant.services import Services
from tests.conftest import make_settings


def drafter(sample_dir: Path, tmp_path: Path, chat_model: FakeChatModel | None = None) -> Drafter:
    settings = make_settings(sample_dir, database_url=f"sqlite:///{tmp_path / 'd.db'}")
    return Services(settings, chat_model).drafter


def test_offline_draft_weaves_the_brief_and_fills_slots(sample_index: KnowledgeIndex, sample_dir: Path,
                                                        tmp_path: Path) -> None:  # fmt: skip
    brief = Brief(community="course", kind="live_notice", date=dt.date(2026, 6, 16), brief="周二 20:30 Excel 图表直播",
                  facts={"teacher": "王老师", "course_name": "Excel 数据分析", "topic": "图表美化"})  # fmt: skip
    composed, gate = drafter(sample_dir, tmp_path).compose(brief)
    assert gate.passed, gate.failed
    assert composed.engine == "offline" and composed.scripts[0].startswith("co-live-notice")
    lines = composed.text.splitlines()
    assert "周二 20:30 Excel 图表直播" in lines[1] and not lines[-1].startswith("·")  # woven in, not appended
    assert "{" not in composed.text and len(composed.text) <= 600


def test_consecutive_weeks_differ(sample_index: KnowledgeIndex, sample_dir: Path, tmp_path: Path) -> None:
    made = drafter(sample_dir, tmp_path)
    texts = [made.compose(Brief(community="mombaby", kind="knowledge_post", date=dt.date(2026, 6, 1) +
                                dt.timedelta(weeks=w)))[0] for w in range(4)]  # fmt: skip
    assert all(similarity(a.text, b.text) < 0.8 for a, b in zip(texts, texts[1:], strict=False))
    again = made.compose(Brief(community="mombaby", kind="knowledge_post", date=dt.date(2026, 6, 1)))[0]
    assert again.text == texts[0].text  # deterministic


def test_llm_engine_used_when_it_passes(sample_index: KnowledgeIndex, sample_dir: Path, tmp_path: Path) -> None:
    model = FakeChatModel(
        outputs=[{"text": "🎉 618 会员日：满300减50，小程序商城可用～", "scripts": ["mb-promotion-02"]}]
    )
    brief = Brief(community="mombaby", kind="promotion", date=dt.date(2026, 6, 18), brief="618 满300减50",
                  must_include=["满300减50"])  # fmt: skip
    composed, gate = drafter(sample_dir, tmp_path, model).compose(brief)
    assert gate.passed and composed.engine == "llm" and composed.prompt_version == "draft@v1"
    assert composed.scripts == ["mb-promotion-02"]
    user = model.calls[0][1]["content"]
    assert "<<<话术开始>>>" in user and "[id: mb-promotion-02]" in user and "满300减50" in user


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        (LLMUnavailable("timeout"), "timeout"),
        ({"text": "满300减50", "scripts": ["made-up"]}, "cites no script"),
        ({"text": "全网最低价，满300减50", "scripts": ["mb-promotion-02"]}, "failed checks: ad_law"),
    ],
)
def test_llm_failures_fall_back_to_offline(output: object, reason: str, sample_index: KnowledgeIndex,
                                           sample_dir: Path, tmp_path: Path) -> None:  # fmt: skip
    brief = Brief(community="mombaby", kind="promotion", date=dt.date(2026, 6, 18), brief="618 满300减50",
                  must_include=["满300减50"])  # fmt: skip
    composed, gate = drafter(sample_dir, tmp_path, FakeChatModel(outputs=[output])).compose(brief)
    assert composed.engine == "llm→offline" and reason in (composed.fallback_reason or "")
    assert gate.passed and "满300减50" in composed.text


def test_operator_request_becomes_a_brief() -> None:
    brief = parse_request("帮我写一条周五晚上的活动预告，618 满300减50", "mombaby", dt.date(2026, 6, 15))
    assert (brief.kind, brief.date, brief.brief) == ("activity_preview", dt.date(2026, 6, 19), "618 满300减50")
    assert brief.must_include == ["618", "满300减50"]
    assert parse_request("写个直播通知，明天 20:00 讲图表", "course", dt.date(2026, 6, 15)).date == dt.date(2026, 6, 16)
    assert parse_request("下周一的干货", "course", dt.date(2026, 6, 15)).date == dt.date(2026, 6, 22)
