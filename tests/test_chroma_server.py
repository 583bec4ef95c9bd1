"""The scale path: a real `chroma run` server on loopback instead of the embedded store."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.knowledge.loader import load_knowledge
from assistant.retrieval.index import KnowledgeIndex
from tests.conftest import free_port, make_settings, started_server


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    chroma = str(Path(sys.executable).parent / "chroma")
    command = [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)]
    with started_server(command, port, "/api/v2/heartbeat") as url:
        yield url


def test_ingest_and_search_through_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    faq = tmp_path / "faq.jsonl"
    rows = [
        {"id": "s-1", "question": "下单后多久发货", "similar": ["几天能发出来"], "answer": "付款后24小时内发出。"},
        {"id": "s-2", "question": "发票怎么开", "similar": ["要开票"], "answer": "订单详情里申请电子发票。"},
    ]
    faq.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    settings = make_settings(tmp_path / "data", chroma_url=chroma_url)
    index = KnowledgeIndex(settings)
    assert sorted(index.ingest(load_knowledge(faq, community="shop")).added) == ["s-1", "s-2"]
    hits = index.search("几天能发出来", "shop", k=2)
    assert hits[0].id == "s-1" and "dense" in hits[0].retrievers
    assert index.store.heartbeat() and index.store.count("shop") == 2
    assert not (tmp_path / "data" / "chroma").exists()  # vectors live on the server, not embedded
