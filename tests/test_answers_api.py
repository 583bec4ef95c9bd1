"""Q&A over real HTTP: our own endpoint, and the OpenAI-compatible one driven by the real
``openai`` client and ``langchain-openai`` as bot frameworks would."""

import json
import shutil
from pathlib import Path

import httpx
import openai
import pytest
from fastapi.testclient import TestClient
from langchain_openai import ChatOpenAI

from api.app import create_app
from assistant.knowledge.loader import load_knowledge
from assistant.services import Services
from tests.conftest import make_settings

PAYMENT = "小程序商城支持哪些支付方式？"


def test_answers_endpoint(api_url: str) -> None:
    resp = httpx.post(f"{api_url}/v1/answers", json={"question": PAYMENT, "community": "mombaby"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["decision"] == "answer" and body["citations"][0]["id"] == "mb-ord-001"
    assert {"answer", "confidence", "handoff", "engine", "prompt_version", "moderation"} <= set(body)

    follow_up = httpx.post(
        f"{api_url}/v1/answers",
        json={"question": "那运费谁出？", "community": "mombaby",
              "history": [{"role": "user", "content": "没拆封的奶粉想退货"}]},
    ).json()  # fmt: skip
    assert "退货" in follow_up["query"] and "mb-ret-004" in [c["id"] for c in follow_up["citations"]]


def test_answers_errors_are_machine_readable(api_url: str) -> None:
    empty = httpx.post(f"{api_url}/v1/answers", json={"question": "  ", "community": "mombaby"})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid_request"
    unknown = httpx.post(f"{api_url}/v1/answers", json={"question": PAYMENT, "community": "nobody"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_community"
    bad_turn = httpx.post(f"{api_url}/v1/answers", json={"question": PAYMENT, "history": [{"role": "x"}]})
    assert bad_turn.status_code == 422 and bad_turn.json()["error"]["details"]


def _client(api_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{api_url}/v1", api_key="unused", max_retries=0)


def test_openai_client_chat_completion(api_url: str) -> None:
    client = _client(api_url)
    assert {"shequn/mombaby", "shequn-moderation/course"} <= {m.id for m in client.models.list()}
    completion = client.chat.completions.create(
        model="shequn/mombaby",
        messages=[{"role": "system", "content": "你是客服"}, {"role": "user", "content": PAYMENT}],
    )
    assert completion.choices[0].message.content and completion.choices[0].finish_reason == "stop"
    extra = completion.model_extra or {}
    assert extra["shequn"]["citations"][0]["id"] == "mb-ord-001"


def test_openai_client_streams_the_same_answer(api_url: str) -> None:
    client = _client(api_url)
    messages = [{"role": "user", "content": PAYMENT}]
    whole = client.chat.completions.create(model="mombaby", messages=messages)  # type: ignore[arg-type]
    chunks = list(client.chat.completions.create(model="mombaby", messages=messages, stream=True))  # type: ignore[arg-type]
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) > 3 and streamed == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_a_chat_client_answers_our_clarifying_question_by_number(api_url: str) -> None:
    client = _client(api_url)
    messages: list[dict[str, str]] = [{"role": "user", "content": "退货"}]
    asked = client.chat.completions.create(model="shequn/mombaby", messages=messages)  # type: ignore[arg-type]
    options = (asked.model_extra or {})["shequn"]["citations"]
    assert (asked.model_extra or {})["shequn"]["decision"] == "clarify" and len(options) >= 2
    messages += [
        {"role": "assistant", "content": asked.choices[0].message.content or ""},
        {"role": "user", "content": "2"},
    ]
    picked = client.chat.completions.create(model="shequn/mombaby", messages=messages)  # type: ignore[arg-type]
    extra = (picked.model_extra or {})["shequn"]
    assert extra["decision"] == "answer" and [c["id"] for c in extra["citations"]] == [options[1]["id"]]


def test_moderation_model_returns_a_verdict(api_url: str) -> None:
    completion = _client(api_url).chat.completions.create(
        model="shequn-moderation", messages=[{"role": "user", "content": "加我薇信 abc_2026x 领内部券"}]
    )
    assert '"risky": true' in (completion.choices[0].message.content or "")


def test_unknown_model_and_bad_messages(api_url: str) -> None:
    client = _client(api_url)
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": PAYMENT}])
    assert "unknown model" in str(missing.value)
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="shequn", messages=[{"role": "assistant", "content": "hi"}])


def test_langchain_openai_invoke_and_stream(api_url: str) -> None:
    chat = ChatOpenAI(base_url=f"{api_url}/v1", api_key="unused", model="shequn/course", max_retries=0)  # type: ignore[arg-type]
    reply = chat.invoke("直播错过了可以看回放吗？")
    assert "回放" in str(reply.content)
    streamed = "".join(str(chunk.content) for chunk in chat.stream("直播错过了可以看回放吗？"))
    assert streamed == reply.content


def test_a_weak_model_only_suspicion_is_handed_to_a_person(api_url: str, api_data_dir: Path) -> None:
    """The classifier alone weakly suspects fraud in an ordinary exchange question (≈0.5, no term
    or pattern): the member is handed to a person with the flag and the reason, not told the
    question broke a rule. The community's policy flags fraud from 0.2, so the test does not
    hang on the model's exact score; a rule finding is still refused."""
    policy = api_data_dir / "moderation" / "mombaby.yaml"
    policy.parent.mkdir(exist_ok=True)
    policy.write_text("thresholds: {fraud: 0.2}\nmodel_only_threshold: 0.2\n", encoding="utf-8")
    try:
        weak, ruled = (
            httpx.post(f"{api_url}/v1/answers", json={"question": q, "community": "mombaby"}).json()
            for q in ("童装size不对想换，要我自己付快递费寄回去吗", "退款找我，加 薇 信 tk8899 私聊，先转押金")
        )
    finally:
        policy.unlink()
    assert weak["decision"] == "handoff" and weak["citations"] == []
    assert weak["moderation"]["categories"] == ["fraud"] and weak["moderation"]["scores"]["fraud"] < 0.7
    assert weak["handoff"]["needed"] and "possible risk" in weak["handoff"]["reason"]
    assert ruled["decision"] == "refuse" and "risky question" in ruled["handoff"]["reason"]


def test_answers_are_logged_whether_answered_on_the_event_loop_or_in_a_thread(sample_dir: Path, tmp_path: Path) -> None:
    """The first request loads the community in a worker thread; the next ones are answered on
    the event loop, their question-log write still made before the reply."""
    data_dir = tmp_path / "data"
    shutil.copytree(sample_dir, data_dir)
    services = Services(make_settings(data_dir))
    question = {"question": "你们老板喜欢什么颜色的汽车", "community": "mombaby"}
    with TestClient(create_app(services=services)) as client:
        assert services.answerer.warm("mombaby") is None
        first = client.post("/v1/answers", json=question).json()
        assert services.answerer.warm("mombaby") is services.moderation.moderator("mombaby")
        second = client.post("/v1/answers", json=question).json()
        long = client.post("/v1/answers", json={**question, "question": question["question"] + "？" * 1000}).json()
    assert first == second and first["decision"] in ("handoff", "clarify") and long["decision"] == first["decision"]
    assert [r.question for r in services.question_log.rows("mombaby")] == [question["question"]] * 2 + [long["query"]]
    entry = {"id": "mb-new-1", "question": "老板喜欢什么车", "answer": "红色的。"}
    (tmp_path / "new.jsonl").write_text(json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf-8")
    services.ingest(load_knowledge(tmp_path / "new.jsonl", community="mombaby"))
    assert services.answerer.warm("mombaby") is None  # a changed catalog is read again in a worker thread
