import json
from pathlib import Path

import pytest

from assistant.knowledge.loader import load_knowledge
from assistant.llm.base import LLMUnavailable
from assistant.retrieval.index import KnowledgeIndex
from tests.conftest import make_settings
from tests.stub_openai import serve_stub


def _kb(tmp_path: Path) -> Path:
    rows = [
        {"id": "e-1", "question": "下单后多久发货", "answer": "24小时内发出。"},
        {"id": "e-2", "question": "发票怎么开", "answer": "订单详情申请。"},
    ]
    path = tmp_path / "faq.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_ingest_and_search_through_an_openai_compatible_endpoint(tmp_path: Path) -> None:
    with serve_stub() as (stub, base_url):
        settings = make_settings(
            tmp_path / "d",
            embeddings="openai",
            openai_base_url=base_url,
            openai_api_key="test",
            embeddings_model="stub-embed",
            llm_retries=0,
        )
        index = KnowledgeIndex(settings)
        report = index.ingest(load_knowledge(_kb(tmp_path), community="shop"))
        assert sorted(report.added) == ["e-1", "e-2"]
        hits = index.search("发票怎么开", "shop", k=2)
        assert hits[0].id == "e-2" and "dense" in hits[0].retrievers
        assert stub.requests and all(r["model"] == "stub-embed" for r in stub.requests)


def test_embedding_endpoint_failure_is_a_clear_error(tmp_path: Path) -> None:
    with serve_stub() as (stub, base_url):
        stub.fail_with = 500
        settings = make_settings(
            tmp_path / "d",
            embeddings="openai",
            openai_base_url=base_url,
            openai_api_key="test",
            llm_retries=0,
            llm_timeout=5,
        )
        with pytest.raises(LLMUnavailable, match="embeddings endpoint failed"):
            KnowledgeIndex(settings).ingest(load_knowledge(_kb(tmp_path), community="shop"))
