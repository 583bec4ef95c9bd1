from pathlib import Path

import pytest

from assistant.llm.base import FakeChatModel, LLMUnavailable
from assistant.llm.openai_compat import OpenAIChatModel
from assistant.moderation.engine import Moderator
from assistant.moderation.policy import Policy
from assistant.prompts import load_prompt
from assistant.services import Services
from assistant.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.stub_openai import serve_stub

PROMPT = load_prompt(PROJECT_ROOT / "prompts", "moderation", 1)
# A community term of weight 0.8 counts 0.4: suspicious, not decisive — the grey zone.
GREY_POLICY = Policy(keywords={"spam_ads": ["老地方见\t0.8"]})
GREY_TEXT = "今晚八点老地方见，大家别迟到"


def _moderator(llm: object | None) -> Moderator:
    return Moderator(GREY_POLICY, {}, llm=llm, prompt=PROMPT, community="club")  # type: ignore[arg-type]


def test_grey_message_is_confirmed_or_vetoed_by_the_model() -> None:
    offline = _moderator(None).moderate(GREY_TEXT)
    assert not offline.risky and offline.scores["spam_ads"] == pytest.approx(0.4)

    confirm = FakeChatModel(outputs=[{"decision": "confirm", "categories": ["spam_ads"], "reason": "拉群"}])
    verdict = _moderator(confirm).moderate(GREY_TEXT)
    assert verdict.engine == "llm" and verdict.categories == ["spam_ads"]
    prompt_text = confirm.calls[0][1]["content"]
    assert "<<<消息开始>>>\n" + GREY_TEXT in prompt_text and "club" in prompt_text

    veto = FakeChatModel(outputs=[{"decision": "veto", "reason": "正常聊天"}])
    assert _moderator(veto).moderate(GREY_TEXT).scores.get("spam_ads", 0) == 0


def test_model_is_not_asked_when_a_hard_rule_decides() -> None:
    fake = FakeChatModel(respond=lambda _: {"decision": "veto"})
    verdict = _moderator(fake).moderate("加我vx: abc_2026x 私聊领取")
    assert verdict.categories == ["spam_ads"] and verdict.scores["spam_ads"] == 1.0
    assert fake.calls == [] and verdict.engine == "offline"


def test_model_veto_never_lowers_a_hard_rule() -> None:
    """Asked about a grey category, a veto covers only that one: the rule's category stays."""
    fake = FakeChatModel(respond=lambda _: {"decision": "veto"})
    verdict = _moderator(fake).moderate(GREY_TEXT + " 13800138000")  # grey spam_ads, a phone number by rule
    assert len(fake.calls) == 1 and verdict.engine == "llm"
    assert verdict.categories == ["privacy"] and "spam_ads" not in verdict.scores
    assert _moderator(fake).moderate("今天天气真好").engine == "offline"


def test_fake_failure_keeps_the_offline_verdict() -> None:
    failing = FakeChatModel(outputs=[LLMUnavailable("boom")])
    verdict = _moderator(failing).moderate(GREY_TEXT)
    offline = _moderator(None).moderate(GREY_TEXT)
    assert verdict.engine == "llm→offline"
    assert (verdict.risky, verdict.categories, verdict.action) == (offline.risky, offline.categories, offline.action)
    assert [c.error for c in verdict.checks if c.name == "llm"] == ["boom"]


@pytest.mark.parametrize("mode", ["error", "slow", "invalid", "off_schema"])
def test_failing_model_over_http_leaves_the_offline_verdict_unchanged(tmp_path: Path, mode: str) -> None:
    offline = _moderator(None).moderate(GREY_TEXT)
    with serve_stub() as (stub, base_url):
        stub.chat_mode = mode
        settings = make_settings(tmp_path, llm="openai", openai_base_url=base_url, openai_api_key="k",
                                 llm_timeout=1, llm_retries=0, chat_model="stub-chat")  # fmt: skip
        verdict = _moderator(OpenAIChatModel.from_settings(settings)).moderate(GREY_TEXT)
    assert verdict.engine == "llm→offline"
    assert (verdict.risky, verdict.categories, verdict.action, verdict.scores) == (
        offline.risky, offline.categories, offline.action, offline.scores)  # fmt: skip
    assert next(c for c in verdict.checks if c.name == "llm").error


def test_working_model_over_http(tmp_path: Path) -> None:
    with serve_stub() as (stub, base_url):
        stub.chat_reply = {"decision": "confirm", "categories": ["spam_ads"], "reason": "引流"}
        settings = make_settings(tmp_path, llm="openai", openai_base_url=base_url, openai_api_key="k",
                                 llm_retries=0, chat_model="stub-chat")  # fmt: skip
        verdict = _moderator(OpenAIChatModel.from_settings(settings)).moderate(GREY_TEXT)
        sent = stub.requests[-1]
    assert verdict.engine == "llm" and verdict.categories == ["spam_ads"]
    assert sent["model"] == "stub-chat" and sent["response_format"]["type"] == "json_schema"


def test_settings_wire_the_adjudicator(tmp_path: Path) -> None:
    assert Services.from_settings(make_settings(tmp_path)).moderation.moderator(None).llm is None
    online = Services.from_settings(
        make_settings(tmp_path, llm="openai", openai_base_url="http://127.0.0.1:9/v1")
    ).moderation.moderator(None)
    assert (
        isinstance(online.llm, OpenAIChatModel) and online.prompt is not None and online.prompt.ref == "moderation@v1"
    )
