"""The Q&A pipeline on the sample knowledge: real index, real moderation, real SQLite log;
the LLM is a FakeChatModel here and a stub server over HTTP in the tests below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.answering.gaps import find_gaps
from assistant.answering.models import Turn
from assistant.answering.offline import UnsafeSlot, fill_slots
from assistant.answering.service import Answerer
from assistant.llm.base import FakeChatModel, LLMUnavailable
from assistant.llm.openai_compat import OpenAIChatModel
from assistant.moderation.engine import Moderator
from assistant.moderation.policy import Policy
from assistant.retrieval.index import KnowledgeIndex, UnknownCommunity
from assistant.services import Services
from tests.conftest import make_settings
from tests.fixed_model import FixedScores
from tests.stub_openai import serve_stub

PAYMENT = "小程序商城支持哪些支付方式？"


def _answerer(
    sample_dir: Path, tmp_path: Path, llm: object | None = None, database: str | None = None, **settings: object
) -> Answerer:
    """``database``: the question log's URL (default SQLite in ``tmp_path``)."""
    config = make_settings(sample_dir, database_url=database or f"sqlite:///{tmp_path / 'log.db'}", **settings)
    return Services(config, chat_model=llm).answerer  # type: ignore[arg-type]


def _faq_answer(index: KnowledgeIndex, rid: str) -> str:
    record = index.entry(rid, "mombaby")
    assert record is not None
    return record.body


def test_confident_match_is_answered_with_the_curated_answer_verbatim(sample_dir: Path, tmp_path: Path) -> None:
    answerer = _answerer(sample_dir, tmp_path)
    result = answerer.answer(PAYMENT, "mombaby")
    assert result.decision == "answer" and not result.handoff.needed
    assert [c.id for c in result.citations] == ["mb-ord-001"]
    assert result.answer == _faq_answer(answerer.index, "mb-ord-001")
    assert result.engine == "offline" and result.confidence >= answerer.policy("mombaby").answer_threshold
    assert answerer.log is not None and answerer.log.rows() == []  # answered questions are not gaps


def test_unknown_topic_is_handed_off_and_logged(sample_dir: Path, tmp_path: Path, database_url: str) -> None:
    answerer = _answerer(sample_dir, tmp_path, database=database_url)
    result = answerer.answer("你们老板是哪个星座的", "mombaby")
    assert result.decision == "handoff" and result.handoff.needed and result.handoff.reason
    assert result.citations == [] and result.answer == answerer.policy("mombaby").handoff_reply
    assert answerer.log is not None
    [row] = answerer.log.rows("mombaby")
    assert row.question == "你们老板是哪个星座的" and row.decision == "handoff"


def test_risky_question_is_refused_not_answered(sample_dir: Path, tmp_path: Path) -> None:
    result = _answerer(sample_dir, tmp_path).answer("退款找我，加 薇 信 tk8899 私聊，先转押金", "mombaby")
    assert result.decision == "refuse" and result.handoff.needed
    assert result.moderation.risky and result.citations == []
    assert "risky question" in (result.handoff.reason or "")


@pytest.mark.parametrize(("risky", "fraud", "decision"), [(0.9, 0.4, "handoff"), (0.95, 0.9, "refuse")])
def test_a_weak_model_only_suspicion_goes_to_a_person_not_a_refusal(
    sample_dir: Path, tmp_path: Path, risky: float, fraud: float, decision: str
) -> None:
    """Flagged by the classifier alone at 0.65 (no term, no pattern): the member is not told
    they broke a rule on a guess; a strong model score is still refused."""
    answerer = _answerer(sample_dir, tmp_path)
    suspicious = Moderator(Policy(), {"classifier": FixedScores(risky=risky, fraud=fraud)})
    answerer.moderation.moderator = lambda community: suspicious  # type: ignore[method-assign]
    result = answerer.answer(PAYMENT, "mombaby")
    assert result.moderation.categories == ["fraud"] and result.citations == []
    assert result.decision == decision and result.handoff.needed
    assert "fraud" in (result.handoff.reason or "")
    assert answerer.log is not None and answerer.log.rows() == []  # a risk, not a knowledge gap


def test_member_in_crisis_gets_care_not_a_rule(sample_dir: Path, tmp_path: Path) -> None:
    result = _answerer(sample_dir, tmp_path).answer("带娃太累了，真的不想活了", "mombaby")
    assert result.decision == "refuse" and "12356" in result.answer


def test_follow_up_is_rewritten_with_the_previous_topic(sample_dir: Path, tmp_path: Path) -> None:
    answerer = _answerer(sample_dir, tmp_path)
    history = [Turn(role="user", content="没拆封的奶粉想退货"), Turn(role="assistant", content="7天内可以申请退货。")]
    query, hits, _ = answerer.retrieve("那运费谁出？", "mombaby", history)
    assert "退货" in query and hits[0].id == "mb-ret-004"
    standalone = answerer.retrieve(PAYMENT, "mombaby", history)[0]
    assert standalone == PAYMENT  # a complete question is not rewritten


def test_close_candidates_get_a_clarifying_question(sample_dir: Path, tmp_path: Path) -> None:
    result = _answerer(sample_dir, tmp_path).answer("退货", "mombaby")
    assert result.decision == "clarify" and len(result.citations) >= 2
    assert all(f"{i}. " in result.answer for i in range(1, len(result.citations) + 1))


def test_a_reply_to_the_clarifying_question_picks_an_entry_or_a_person(
    sample_dir: Path, tmp_path: Path, database_url: str
) -> None:
    answerer = _answerer(sample_dir, tmp_path, database=database_url)
    asked = answerer.answer("退货", "mombaby")
    assert asked.decision == "clarify" and len(asked.citations) >= 2
    history = [Turn(role="user", content="退货"), Turn(role="assistant", content=asked.answer)]
    second = asked.citations[1].id

    picked = answerer.answer("第二个吧", "mombaby", history)
    assert picked.decision == "answer" and [c.id for c in picked.citations] == [second]
    assert picked.answer == _faq_answer(answerer.index, second) and picked.query == "退货"
    assert answerer.log is not None
    [row] = answerer.log.rows("mombaby")  # the question asked back, settled: not counted twice
    assert (row.question, row.decision, row.candidates) == ("退货", "chosen", [second])

    answerer.answer("退货", "mombaby")
    rejected = answerer.answer("都不是", "mombaby", history)
    assert rejected.decision == "handoff" and rejected.handoff.needed and rejected.citations == []
    assert rejected.answer == answerer.policy("mombaby").handoff_reply
    assert [r.decision for r in answerer.log.rows("mombaby")] == ["chosen", "handoff"]

    (tmp_path / "other").mkdir()
    unlogged = _answerer(sample_dir, tmp_path / "other")  # asked back by another deployment: logged anew
    unlogged.answer("都不是", "mombaby", history)
    assert unlogged.log is not None and [(r.question, r.decision) for r in unlogged.log.rows()] == [("退货", "handoff")]


def test_a_pick_is_answered_even_if_a_classifier_suspects_it(sample_dir: Path, tmp_path: Path) -> None:
    """Short replies are where a text classifier guesses worst; a reply our closed grammar
    reads in full ("就是第一个吧") carries nothing to moderate — the verdict is still reported."""
    answerer = _answerer(sample_dir, tmp_path)
    asked = answerer.answer("退货", "mombaby")
    history = [Turn(role="user", content="退货"), Turn(role="assistant", content=asked.answer)]
    suspicious = Moderator(Policy(), {"classifier": FixedScores(risky=0.99, fraud=0.99)})
    answerer.moderation.moderator = lambda community: suspicious  # type: ignore[method-assign]
    picked = answerer.answer("就是第一个吧", "mombaby", history)
    assert picked.decision == "answer" and picked.citations[0].id == asked.citations[0].id
    assert picked.moderation.risky
    assert answerer.answer("就是第一个吧", "mombaby").decision == "refuse"  # no question asked back: moderated


def test_unknown_community_is_an_error(sample_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownCommunity):
        _answerer(sample_dir, tmp_path).answer(PAYMENT, "nope")


def test_slot_filling_is_limited_to_known_safe_values() -> None:
    assert fill_slots("{member}你好，7天内可退", {"member": "小王"}) == "小王你好，7天内可退"
    assert fill_slots("没有槽位", {}) == "没有槽位"
    with pytest.raises(UnsafeSlot):
        fill_slots("优惠价{price}元", {"member": "小王"})


def test_gaps_cluster_repeated_unanswered_questions(sample_dir: Path, tmp_path: Path, database_url: str) -> None:
    answerer = _answerer(sample_dir, tmp_path, database=database_url)
    asked = ["你们有线下门店吗", "线下门店在哪里", "附近有没有线下门店可以逛", "你们老板是哪个星座的"]
    for question in asked:
        answerer.answer(question, "mombaby")
    assert answerer.log is not None
    gaps = find_gaps(answerer.log.rows(), answerer.index.embedder, answerer.index.tokenizer, min_count=2)
    assert len(gaps) == 1 and gaps[0].count == 3 and gaps[0].community == "mombaby"
    suggested = gaps[0].suggested
    assert {suggested.question, *suggested.similar} == set(asked[:3]) and suggested.answer == ""
    assert "门店" in "".join(suggested.tags)


# ---- LLM engine -------------------------------------------------------------------------


def _draft(**overrides: Any) -> dict[str, Any]:
    return {"answer": "支持微信支付，也可以找朋友代付。", "citations": ["mb-ord-001"], "confidence": 0.9,
            "needs_handoff": False, "reason": "", **overrides}  # fmt: skip


def test_llm_answer_cites_retrieved_passages(sample_dir: Path, tmp_path: Path) -> None:
    fake = FakeChatModel(outputs=[_draft()])
    result = _answerer(sample_dir, tmp_path, fake).answer(PAYMENT, "mombaby")
    assert (result.engine, result.decision, result.prompt_version) == ("llm", "answer", "answer@v1")
    assert [c.id for c in result.citations] == ["mb-ord-001"] and result.answer == _draft()["answer"]
    prompt = fake.calls[0][1]["content"]
    assert "<<<资料开始>>>" in prompt and "[id: mb-ord-001]" in prompt and PAYMENT in prompt


@pytest.mark.parametrize(
    ("output", "why"),
    [
        (_draft(citations=["mb-made-up-999"]), "cites no retrieved entry"),
        (_draft(citations=[]), "cites no retrieved entry"),
        (_draft(answer="加我微信 abc_12345 私聊退款"), "flagged by moderation"),
        (LLMUnavailable("timeout"), "timeout"),
    ],
)
def test_unusable_llm_output_falls_back_to_the_offline_answer(
    sample_dir: Path, tmp_path: Path, output: object, why: str
) -> None:
    offline = _answerer(sample_dir, tmp_path).answer(PAYMENT, "mombaby")
    result = _answerer(sample_dir, tmp_path, FakeChatModel(outputs=[output])).answer(PAYMENT, "mombaby")
    assert result.engine == "llm→offline" and why in (result.fallback_reason or "")
    assert (result.decision, result.answer, result.citations) == (offline.decision, offline.answer, offline.citations)


def test_llm_handoff_is_respected(sample_dir: Path, tmp_path: Path) -> None:
    fake = FakeChatModel(outputs=[_draft(needs_handoff=True, citations=[], answer="", reason="需要查订单")])
    result = _answerer(sample_dir, tmp_path, fake).answer("我的订单到哪了", "mombaby")
    assert result.decision == "handoff" and result.handoff.reason == "需要查订单" and result.engine == "llm"


@pytest.mark.parametrize(
    ("question", "decision"),
    [
        ("你们老板是哪个星座的", "handoff"),
        ("退货", "clarify"),
        ("听说你们下个月要倒闭了，我帮大家转发提醒一下？", None),
    ],
)
def test_the_model_never_answers_what_the_offline_engine_would_not(
    sample_dir: Path, tmp_path: Path, question: str, decision: str | None
) -> None:
    """A model that always answers, citing the top passage: where the offline engine asks back or
    hands off, it is not asked, and the offline decision goes out."""

    def answers_anything(messages: list[dict[str, str]]) -> dict[str, Any]:
        return _draft(citations=[messages[1]["content"].split("[id: ")[1].split("]")[0]])

    fake = FakeChatModel(respond=answers_anything)
    offline = _answerer(sample_dir, tmp_path).answer(question, "mombaby")
    assert offline.decision == (decision or offline.decision) and offline.decision != "answer"
    result = _answerer(sample_dir, tmp_path, fake).answer(question, "mombaby")
    assert (result.decision, result.answer, result.engine) == (offline.decision, offline.answer, "offline")
    assert fake.calls == []
    assert _answerer(sample_dir, tmp_path, fake).answer(PAYMENT, "mombaby").engine == "llm"


def _stub_model(body: dict[str, Any]) -> dict[str, Any]:
    """Rewrites follow-ups and answers from the first passage shown, like a well-behaved model."""
    system = body["messages"][0]["content"]
    if "改写" in system:
        return {"query": "退货的运费由谁承担？"}
    first_id = body["messages"][1]["content"].split("[id: ")[1].split("]")[0]
    return _draft(citations=[first_id], answer="按资料回答。")


def test_llm_engine_over_http_rewrites_and_answers(sample_dir: Path, tmp_path: Path) -> None:
    with serve_stub() as (stub, base_url):
        stub.chat_reply = _stub_model
        settings = make_settings(sample_dir, llm="openai", openai_base_url=base_url, openai_api_key="k")
        model = OpenAIChatModel.from_settings(settings)
        history = [Turn(role="user", content="衣服尺码不合适想退货")]
        result = _answerer(sample_dir, tmp_path, model).answer("那运费呢？", "mombaby", history)
    assert result.engine == "llm" and result.query == "退货的运费由谁承担？"
    assert result.citations[0].id == "mb-ret-004" and result.answer == "按资料回答。"
    assert stub.requests[0]["response_format"]["type"] == "json_schema"


@pytest.mark.parametrize("mode", ["error", "slow", "invalid", "off_schema"])
def test_failing_llm_over_http_falls_back_and_says_so(sample_dir: Path, tmp_path: Path, mode: str) -> None:
    offline = _answerer(sample_dir, tmp_path).answer(PAYMENT, "mombaby")
    with serve_stub() as (stub, base_url):
        stub.chat_mode = mode
        settings = make_settings(
            sample_dir, llm="openai", openai_base_url=base_url, openai_api_key="k", llm_timeout=1, llm_retries=0
        )
        result = _answerer(sample_dir, tmp_path, OpenAIChatModel.from_settings(settings)).answer(PAYMENT, "mombaby")
    assert result.engine == "llm→offline" and result.fallback_reason
    assert (result.decision, result.answer) == (offline.decision, offline.answer)
