"""``shequn sentiment …`` as a user runs it, and the HTTP API through FastAPI's TestClient:
the JSON contract of issue #18, bad input reported per line, errors in the one shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.llm.base import FakeChatModel
from assistant.sentiment.importers import read_messages
from assistant.sentiment.service import SentimentService
from assistant.services import Services
from tests.conftest import make_settings, run_cli

SUMMARY_KEYS = {"messages", "members", "window", "sentiment", "activity", "topics", "complaints", "segments",
                "at_risk", "health", "alerts", "summary"}  # fmt: skip
LOG = [
    ("09:00", "小王", "早上好各位"),
    ("09:05", "小李", "今天的直播课讲得真好，老师辛苦了"),
    ("09:10", "阿强", "我的退款申请了三天还没到账，客服也不回，怎么回事？"),
    ("09:12", "小美", "我的退款也一直没到账，太差劲了"),
    ("09:15", "老张", "退款好慢啊，等了一周了还没消息，真的很失望"),
    ("09:17", "小美", "退款到现在都没到账，客服也不理人，太差了"),
    ("09:20", "运营小助手", "大家好，退款问题已经在加急处理了"),
    ("10:20", "路人甲", "加V领取免费试用装 vx abc123"),
    ("10:21", "路人乙", "加微信abc123私聊领取优惠"),
    ("10:22", "路人丙", "加我微信 abc123 免费领奶粉试用装"),
]


def chat_log(path: Path, bad_line: bool = False) -> Path:
    rows = [json.dumps({"group": "g1", "time": f"2026-12-01T{t}:00+08:00", "sender": s, "text": x},
                       ensure_ascii=False) for t, s, x in LOG]  # fmt: skip
    if bad_line:
        rows.insert(3, "{not json")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_summarize_alerts_on_a_complaint_cluster_about_a_word_jieba_cuts_into_characters(tmp_path: Path) -> None:
    """猫粮 is no jieba word (猫/粮): the cluster still names it and raises its alert."""
    lines = [("09:00", "豆豆妈", "早上好"), ("09:05", "橘猫家长", "上周买的猫粮，开袋就有一股异味"),
             ("09:12", "布偶阿姨", "我家那袋猫粮也发霉了，颗粒上全是白点"),
             ("09:20", "三花爸爸", "同一批猫粮，猫吃了就软便，两天了"),
             ("09:40", "店长小林", "非常抱歉，这批猫粮我们马上下架，私信我订单号退换"),
             ("09:50", "狸花妈", "刚拆的猫粮结块了，里面还有小虫"), ("10:00", "路人", "今天天气不错")]  # fmt: skip
    log = tmp_path / "cat.jsonl"
    log.write_text("".join(json.dumps({"group": "g1", "time": f"2026-12-01T{t}:00+08:00", "sender": s, "text": x},
                                      ensure_ascii=False) + "\n" for t, s, x in lines), encoding="utf-8")  # fmt: skip
    done = run_cli("sentiment", "summarize", "--input", str(log), "--staff", "店长小林", "--workers", "1",
                   data_dir=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    [alert] = [a for a in summary["alerts"] if a["kind"] == "complaint_cluster"]
    assert alert["topic"].split("/")[0] == "猫粮"
    assert alert["members"] == sorted(["橘猫家长", "布偶阿姨", "三花爸爸", "狸花妈"])
    assert all("猫粮" in q["text"] for q in alert["evidence"]) and len(alert["evidence"]) == 3
    assert summary["complaints"][0]["topic"] == alert["topic"] and "猫粮" in summary["summary"]


def test_classify_one_message(tmp_path: Path) -> None:
    done = run_cli("sentiment", "classify", "太失望了，再也不买了", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["label"] == "negative" and -1 <= result["score"] < 0


def test_classify_batch_adds_sentiment_and_reports_a_bad_line(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(
        '{"id": 1, "text": "收到"}\n{"id": 2}\n{"id": 3, "text": "谢谢老师，讲得太好了"}\n', encoding="utf-8"
    )
    done = run_cli("sentiment", "classify", "--input", str(src), "--output", str(out), data_dir=tmp_path)
    assert done.returncode == 1  # one line failed, the rest were processed
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert rows[0]["sentiment"]["label"] == "neutral" and rows[2]["sentiment"]["label"] == "positive"
    assert rows[1]["line"] == 2 and "text" in rows[1]["error"]


def test_summarize_prints_the_contract_writes_a_report_and_reports_bad_rows(tmp_path: Path) -> None:
    report = tmp_path / "out.html"
    done = run_cli("sentiment", "summarize", "--input", str(chat_log(tmp_path / "chat.jsonl", bad_line=True)),
                   "--staff", "运营小助手", "--report", str(report), "--workers", "1", data_dir=tmp_path)  # fmt: skip
    assert done.returncode == 1  # a row was skipped; the summary is still printed
    assert "skipped line 4: invalid JSON" in done.stderr
    summary = json.loads(done.stdout)
    assert set(summary) >= SUMMARY_KEYS
    assert summary["messages"] == len(LOG)
    assert [(b["line"], b["reason"].split(":")[0]) for b in summary["skipped"]] == [(4, "invalid JSON")]
    assert [c["topic"].split("/")[0] for c in summary["complaints"]] == ["退款"]
    assert {"complaint_cluster", "risk_wave"} <= {a["kind"] for a in summary["alerts"]}
    assert "运营小助手" not in [r["member"] for r in summary["at_risk"]]
    assert "退款" in summary["summary"] and "阿强" in summary["summary"]
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--format", "xml"], "unknown --format"), (["--from", "2030-01-01"], "no messages"),
     (["--from", "yesterday"], "--from")],
)  # fmt: skip
def test_summarize_unusable_input_is_one_json_error_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = run_cli("sentiment", "summarize", "--input", str(chat_log(tmp_path / "c.jsonl")), *args, data_dir=tmp_path)
    assert done.returncode == 2 and message in json.loads(done.stdout)["error"] and "Traceback" not in done.stderr


def test_summarize_reads_an_unknown_header_as_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    done = run_cli("sentiment", "summarize", "--input", str(tmp_path / "x.csv"), data_dir=tmp_path)
    assert done.returncode == 2 and "unrecognised chat log header" in json.loads(done.stdout)["error"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(create_app(make_settings(tmp_path_factory.mktemp("api"))))


def test_api_classify_batches_and_limits(client: TestClient) -> None:
    ok = client.post("/v1/sentiment/classify", json={"input": ["收到", "太差劲了，投诉"]})
    assert ok.status_code == 200
    assert [r["label"] for r in ok.json()["results"]] == ["neutral", "negative"]
    too_many = client.post("/v1/sentiment/classify", json={"input": ["好"] * 1001})
    assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "too_many_items"
    assert too_many.json()["error"]["details"] == [{"field": "input", "limit": 1000, "got": 1001}]
    empty = client.post("/v1/sentiment/classify", json={"input": []})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_input"


def test_api_summaries_inline_and_uploaded_agree(client: TestClient, tmp_path: Path) -> None:
    path = chat_log(tmp_path / "chat.jsonl")
    messages = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    inline = client.post("/v1/sentiment/summaries", json={"messages": messages, "staff": ["运营小助手"]})
    assert inline.status_code == 200, inline.text
    uploaded = client.post("/v1/sentiment/summaries", params={"staff": "运营小助手", "format": "jsonl"},
                           content=path.read_bytes(), headers={"content-type": "application/x-ndjson"})  # fmt: skip
    assert uploaded.status_code == 200
    for key in ("messages", "members", "complaints", "alerts", "at_risk", "health"):
        assert inline.json()[key] == uploaded.json()[key]
    assert set(inline.json()) >= SUMMARY_KEYS


def test_api_summaries_errors_use_the_error_shape(client: TestClient) -> None:
    bad = client.post("/v1/sentiment/summaries", json={"messages": [{"time": "x", "sender": "a", "text": "b"}]})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    unknown = client.post("/v1/sentiment/summaries", content=b"a,b\n1,2\n", headers={"content-type": "text/csv"})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_format"
    empty = client.post("/v1/sentiment/summaries", json={"messages": []})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_log"


def service(tmp_path: Path, model: FakeChatModel) -> SentimentService:
    settings = make_settings(tmp_path)
    return SentimentService(settings, Services(settings).moderation, chat_model=model)


def test_llm_narrative_is_used_when_it_cites_only_what_it_was_shown(tmp_path: Path) -> None:
    model = FakeChatModel([{"summary": "退款投诉集中在 09:10 前后，见阿强的消息。", "quotes_used": [0]}])
    with chat_log(tmp_path / "c.jsonl").open(encoding="utf-8") as fh:
        summary = service(tmp_path, model).summarize(read_messages(fh), ["运营小助手"])
    assert summary.engine == "llm" and summary.summary.startswith("退款投诉") and summary.prompt_version
    prompt = model.calls[0][1]["content"]
    assert "<<<引用开始>>>" in prompt and "阿强" in prompt


@pytest.mark.parametrize(
    ("output", "reason"),
    [({"summary": "23:59 有人退群。", "quotes_used": []}, "times no quote has"),
     ({"summary": "见引用。", "quotes_used": [99]}, "not shown"), (None, "no output")],
)  # fmt: skip
def test_llm_narrative_falls_back_to_offline_and_says_why(tmp_path: Path, output: object, reason: str) -> None:
    with chat_log(tmp_path / "c.jsonl").open(encoding="utf-8") as fh:
        summary = service(tmp_path, FakeChatModel([output] if output else [])).summarize(read_messages(fh))
    assert summary.engine == "llm→offline" and reason in (summary.fallback_reason or "")
    assert summary.summary.startswith("2026-12-01 09:00 至")
