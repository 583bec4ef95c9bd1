"""Recorded LLM runs: record at the ChatModel seam against the local stub over real HTTP, replay
offline, fail loudly on an unrecorded request, never write the key; and the shipped recording
of the answers suite replays the whole LLM path (prompts, parsing, validation, citations,
fallback) without a model."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from assistant.llm.base import FakeChatModel, LLMUnavailable
from assistant.llm.recorded import NotRecorded, RecordingChatModel, ReplayChatModel
from assistant.settings import PROJECT_ROOT
from tests.conftest import run_cli
from tests.record_answers import DEFAULT_FOLDER, KEY, MODEL, record

SHIPPED = PROJECT_ROOT / "evals" / "recordings" / "answers-stub"


class Reply(BaseModel):
    text: str


def _ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_replay_returns_what_was_recorded_including_failures(tmp_path: Path) -> None:
    inner = FakeChatModel([{"text": "一"}, LLMUnavailable("timeout")], name="m")
    recording = RecordingChatModel(inner, tmp_path)
    assert recording.complete(_ask("a"), Reply).text == "一"
    with pytest.raises(LLMUnavailable):
        recording.complete(_ask("b"), Reply)
    replay = ReplayChatModel(tmp_path)
    assert replay.name == "m" and replay.complete(_ask("a"), Reply) == Reply(text="一")
    with pytest.raises(LLMUnavailable, match="timeout"):  # the engine falls back, as it did when recorded
        replay.complete(_ask("b"), Reply)


def test_an_unrecorded_request_fails_loudly_not_as_a_fallback(tmp_path: Path) -> None:
    RecordingChatModel(FakeChatModel([{"text": "一"}]), tmp_path).complete(_ask("a"), Reply)
    replay = ReplayChatModel(tmp_path)
    with pytest.raises(NotRecorded, match="changed"):
        replay.complete(_ask("a changed prompt"), Reply)
    assert not issubclass(NotRecorded, LLMUnavailable)
    with pytest.raises(FileNotFoundError):
        ReplayChatModel(tmp_path / "nothing")


def test_record_then_replay_through_the_cli_gives_the_same_run(tmp_path: Path) -> None:
    data = tmp_path / "cases.jsonl"
    lines = (PROJECT_ROOT / "evals" / "data" / "answers.jsonl").read_text(encoding="utf-8").splitlines()
    data.write_text("\n".join(lines[:30]) + "\n", encoding="utf-8")
    folder = tmp_path / "recording"
    recorded = record(folder, tmp_path / "d", "--data", str(data), "--report", str(tmp_path / "r1"))
    assert recorded.returncode == 0, recorded.stderr
    text = (folder / "requests.jsonl").read_text(encoding="utf-8") + (folder / "model.json").read_text()
    assert KEY not in text and "authorization" not in text.lower() and "Bearer" not in text
    replayed = run_cli("eval", "answers", "--data", str(data), "--replay", str(folder), "--report",
                       str(tmp_path / "r2"), data_dir=tmp_path / "d")  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr
    first, again = (_cases(tmp_path / r) for r in ("r1", "r2"))
    assert [c["actual"]["decision"] for c in first] == [c["actual"]["decision"] for c in again]
    assert [c["actual"]["cited"] for c in first] == [c["actual"]["cited"] for c in again]


def _cases(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_shipped_recording_replays_the_llm_path_offline_and_gates_it(tmp_path: Path) -> None:
    assert SHIPPED == DEFAULT_FOLDER
    assert KEY not in gzip.decompress((SHIPPED / "requests.jsonl.gz").read_bytes()).decode("utf-8")
    out = run_cli("eval", "answers_llm", "--gate", "--report", str(tmp_path / "r"), data_dir=tmp_path / "d")
    assert out.returncode == 0, out.stderr  # a prompt changed since recording: re-run tests/record_answers.py
    run = json.loads((tmp_path / "r" / "run.json").read_text(encoding="utf-8"))
    assert run["engine"] == "llm" and run["model"] == MODEL and run["prompt_versions"] == ["answer@v1"]
    assert run["recording"] == {"replay": str(SHIPPED)} and run["tokens"]["total_tokens"] > 0
    gated = {c["metric"]: c for c in run["gate"]["checks"]}
    assert gated["risky_answered_llm"]["ok"] and run["metrics"]["risky_answered_llm"] == 0  # the pipeline's bound
    cases = _cases(tmp_path / "r")
    engines = {c["actual"]["engine"] for c in cases}
    assert {"llm", "llm→offline", "offline"} <= engines
    reasons = " ".join(c["actual"]["fallback_reason"] or "" for c in cases)
    assert "output does not match Draft" in reasons and "cites no retrieved entry" in reasons
    llm_answers = [c for c in cases if c["actual"]["engine"] == "llm" and c["actual"]["decision"] == "answer"]
    assert llm_answers and all(c["actual"]["cited"] for c in llm_answers)


def _answers_slice(tmp_path: Path, n: int = 12) -> Path:
    data = tmp_path / "cases.jsonl"
    lines = (PROJECT_ROOT / "evals" / "data" / "answers.jsonl").read_text(encoding="utf-8").splitlines()
    data.write_text("\n".join(lines[:n]) + "\n", encoding="utf-8")
    return data


def test_tokens_and_cost_of_a_run_come_from_the_servers_usage(tmp_path: Path) -> None:
    from tests.record_answers import reply
    from tests.stub_openai import serve_stub, usage

    data, folder = _answers_slice(tmp_path), tmp_path / "recording"
    with serve_stub() as (stub, url):
        stub.chat_reply = reply
        out = run_cli("eval", "answers", "--data", str(data), "--record", str(folder), "--report", str(tmp_path / "r1"),
                      data_dir=tmp_path / "d", SHEQUN_LLM="openai", SHEQUN_OPENAI_BASE_URL=url, SHEQUN_CHAT_MODEL=MODEL,
                      SHEQUN_LLM_RETRIES="0", SHEQUN_LLM_INPUT_PRICE="2.5", SHEQUN_LLM_OUTPUT_PRICE="10")  # fmt: skip
        assert out.returncode == 0, out.stderr
        chats = [r for r in stub.requests if "messages" in r]
    served = [usage(r, _content(r)) for r in chats]
    prompt, completion = sum(u["prompt_tokens"] for u in served), sum(u["completion_tokens"] for u in served)
    run = json.loads((tmp_path / "r1" / "run.json").read_text(encoding="utf-8"))
    assert chats and run["tokens"] == {"calls": len(chats), "prompt_tokens": prompt, "completion_tokens": completion,
                                       "total_tokens": prompt + completion}  # fmt: skip
    assert run["cost"] == {"amount": round((prompt * 2.5 + completion * 10) / 1e6, 6),
                           "input_price_per_million": 2.5, "output_price_per_million": 10.0}  # fmt: skip
    assert "model calls" in (tmp_path / "r1" / "report.html").read_text(encoding="utf-8")

    replayed = run_cli("eval", "answers", "--data", str(data), "--replay", str(folder), "--report",
                       str(tmp_path / "r2"), data_dir=tmp_path / "d")  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr
    again = json.loads((tmp_path / "r2" / "run.json").read_text(encoding="utf-8"))
    assert again["tokens"] == run["tokens"] and again["cost"] is None  # no price set: unknown, not free

    entries = [json.loads(line) for line in (folder / "requests.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all("usage" in e for e in entries)
    (folder / "requests.jsonl").write_text("".join(json.dumps({k: v for k, v in e.items() if k != "usage"}) + "\n"
                                                   for e in entries), encoding="utf-8")  # fmt: skip
    old = run_cli("eval", "answers", "--data", str(data), "--replay", str(folder), "--report", str(tmp_path / "r3"),
                  data_dir=tmp_path / "d", SHEQUN_LLM_INPUT_PRICE="2.5", SHEQUN_LLM_OUTPUT_PRICE="10")  # fmt: skip
    assert old.returncode == 0, old.stderr
    unknown = json.loads((tmp_path / "r3" / "run.json").read_text(encoding="utf-8"))
    assert unknown["tokens"] == {"calls": len(chats), "prompt_tokens": None, "completion_tokens": None,
                                 "total_tokens": None} and unknown["cost"] is None  # fmt: skip


def _content(request: dict) -> str:
    from tests.record_answers import reply

    return json.dumps(reply(request), ensure_ascii=False)


def test_an_offline_run_has_no_tokens(tmp_path: Path) -> None:
    out = run_cli("eval", "answers", "--data", str(_answers_slice(tmp_path, 3)), "--report", str(tmp_path / "r"),
                  data_dir=tmp_path / "d")  # fmt: skip
    assert out.returncode == 0, out.stderr
    run = json.loads((tmp_path / "r" / "run.json").read_text(encoding="utf-8"))
    assert run["engine"] == "offline" and run["tokens"] is None and run["cost"] is None
