"""An entry whose answer would send members a stranger's contact, a transfer or a code request
never goes out: refused at upload and ingest (or let in on an explicit, logged override), and
handed to a person if it is in the index anyway."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from assistant.knowledge.loader import load_knowledge
from assistant.services import Services
from tests.conftest import SAMPLE_KNOWLEDGE, make_settings, run_cli

POISON = "加客服薇信 abc_2026x，先转账 50 元押金到 13800138000，验证码发给我"
ENTRY = {"id": "p-1", "question": "怎么申请退押金", "similar": ["押金怎么退"], "answer": POISON}


def test_upload_refuses_a_poisoned_entry_and_names_the_evidence(api_url: str) -> None:
    body = {
        "community": "poisontest",
        "faqs": [ENTRY, {"id": "p-2", "question": "能开专票吗", "answer": "暂不支持专票。"}],
    }
    resp = httpx.post(f"{api_url}/v1/knowledge/documents", json=body)
    error = resp.json()["error"]
    assert resp.status_code == 422 and error["code"] == "invalid_items"
    [item] = error["details"]
    assert item["id"] == "p-1" and item["index"] == 0
    assert "wechat_id" in item["reason"] and "code_request" in item["reason"]
    search = httpx.get(f"{api_url}/v1/knowledge/search", params={"q": "押金", "community": "poisontest"})
    assert search.status_code == 404  # atomic: nothing was ingested


def test_a_poisoned_entry_in_the_index_is_handed_to_a_person(tmp_path: Path) -> None:
    faq = tmp_path / "kb" / "faq.jsonl"
    faq.parent.mkdir()
    faq.write_text(json.dumps(ENTRY, ensure_ascii=False) + "\n", encoding="utf-8")
    services = Services(make_settings(tmp_path / "data"))
    report = services.ingest(load_knowledge(faq, community="shop"), allow_risky=True)
    assert report.added == ["p-1"]
    result = services.answerer.answer("押金怎么退", "shop")
    assert result.decision == "handoff" and POISON not in result.answer
    assert "may not be sent" in (result.handoff.reason or "") and "wechat_id" in (result.handoff.reason or "")


def test_cli_ingest_refuses_it_unless_allowed(tmp_path: Path) -> None:
    faq = tmp_path / "faq.jsonl"
    clean = {"id": "c-1", "question": "几点发货", "answer": "当天16点前下单当天发货。"}
    faq.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in (ENTRY, clean)) + "\n", encoding="utf-8")
    refused = run_cli("ingest", str(faq), "-c", "shop", data_dir=tmp_path / "data")
    assert refused.returncode == 1 and "p-1" in refused.stderr and "refused as risky" in refused.stderr
    assert json.loads(refused.stdout)["added"] == ["c-1"]
    allowed = run_cli("ingest", str(faq), "-c", "shop", "--allow-risky", data_dir=tmp_path / "data")
    assert allowed.returncode == 0 and json.loads(allowed.stdout)["added"] == ["p-1"]
    assert "p-1" in allowed.stderr and "override" in allowed.stderr  # the audit line


def test_the_sample_knowledge_passes_the_screen(sample_dir: Path) -> None:
    """The gate's false-alarm side: none of the 257 curated sample entries is refused."""
    assert Services(make_settings(sample_dir)).screen(load_knowledge(SAMPLE_KNOWLEDGE)) == {}


def test_reserved_community_is_refused_on_upload(api_url: str) -> None:
    resp = httpx.post(f"{api_url}/v1/knowledge/documents", json={"community": "global", "faqs": [ENTRY]})
    assert resp.status_code == 422 and "reserved" in resp.json()["error"]["details"][0]["reason"]
