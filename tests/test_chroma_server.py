"""The scale path: a real `chroma run` server on loopback instead of the embedded store."""

import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from assistant.knowledge.loader import load_knowledge
from assistant.retrieval.index import KnowledgeIndex
from assistant.store.db import connect
from tests.conftest import BIN, cli_env, free_port, make_settings, started_server


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


ADMIN = "scale-admin-key"
COMMUNITIES = [f"shop{i}" for i in range(6)]
UNKNOWN = [f"第{i}号分店的老板喜欢什么颜色" for i in range(40)]


def _post(url: str, path: str, body: dict[str, object], request_id: str) -> httpx.Response:
    """A new connection each time, so the kernel spreads the requests over the workers."""
    headers = {"Authorization": f"Bearer {ADMIN}", "X-Request-ID": request_id}
    return httpx.post(f"{url}{path}", json=body, headers=headers, timeout=60)


def _faqs(community: str) -> dict[str, object]:
    return {"community": community, "faqs": [
        {"id": f"{community}-ship", "question": "下单后多久发货", "similar": ["几天能发出来"],
         "answer": f"{community}：付款后24小时内发出。"},
        {"id": f"{community}-bill", "question": "发票怎么开", "similar": ["要开票"],
         "answer": f"{community}：订单详情里申请电子发票。"},
    ]}  # fmt: skip


SHARED_UPLOADS = 12
PRODUCTS = ["保温杯", "围巾", "台灯", "雨伞", "拖鞋", "书包", "毛巾", "水壶", "枕头", "手套", "帽子", "袜子"]


def _shared_entry(i: int) -> dict[str, object]:
    return {"community": "shared", "faqs": [
        {"id": f"shared-{i}", "question": f"{PRODUCTS[i]}有几种颜色", "answer": f"{PRODUCTS[i]}有三种颜色可选。"},
    ]}  # fmt: skip


def test_two_workers_share_one_chroma_server_and_one_database(
    chroma_url: str, tmp_path: Path, database_url: str
) -> None:
    """``serve --workers 2`` on one Chroma server, one data dir and one database: knowledge
    uploaded through either worker is answered the same by both, and every write is kept."""
    port, log = free_port(), tmp_path / "server.log"
    command = [str(BIN / "shequn"), "serve", "--port", str(port), "--workers", "2"]
    env = cli_env(tmp_path / "data", SHEQUN_CHROMA_URL=chroma_url, SHEQUN_DATABASE_URL=database_url,
                  SHEQUN_API_KEYS=f"{ADMIN}:admin", SHEQUN_RATE_LIMIT="10000/second")  # fmt: skip
    with (
        log.open("w") as err,
        started_server(command, port, "/healthz", env, err) as url,
        ThreadPoolExecutor(6) as pool,
    ):
        uploads = list(pool.map(lambda c: _post(url, "/v1/knowledge/documents", _faqs(c), f"up-{c}"), COMMUNITIES))
        assert [r.status_code for r in uploads] == [200] * len(COMMUNITIES), [r.text for r in uploads]
        # One community written by both workers at once: the ingest lock is the kernel's (flock), so
        # the uploads take turns and each reads the catalog the previous one wrote.
        shared = list(pool.map(lambda i: _post(url, "/v1/knowledge/documents", _shared_entry(i), f"up-shared-{i}"),
                               range(SHARED_UPLOADS)))  # fmt: skip
        assert [r.status_code for r in shared] == [200] * SHARED_UPLOADS, [r.text for r in shared]
        assert sorted(r.json()["communities"]["shared"] for r in shared) == list(range(1, SHARED_UPLOADS + 1))

        asked = [(c, i) for i in range(8) for c in COMMUNITIES]
        answers = list(pool.map(lambda ci: _post(url, "/v1/answers", {"question": "几天能发出来", "community": ci[0]},
                                                 f"ask-{ci[0]}-{ci[1]}"), asked))  # fmt: skip
        unknown = list(pool.map(lambda iq: _post(url, "/v1/answers", {"question": iq[1], "community": "shop0"},
                                                 f"gap-{iq[0]}"), enumerate(UNKNOWN)))  # fmt: skip

    for (community, _), resp in zip(asked, answers, strict=True):
        result = resp.json()
        assert resp.status_code == 200 and result["decision"] == "answer", result
        assert [c["id"] for c in result["citations"]] == [f"{community}-ship"]
        assert result["answer"] == f"{community}：付款后24小时内发出。"
    assert all(r.status_code == 200 and r.json()["decision"] == "handoff" for r in unknown)

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    served = {line["request_id"]: line["pid"] for line in lines if line["logger"] == "shequn.access"}
    workers = set(served.values())
    assert len(workers) == 2, workers  # both processes served, each its share of answers and of log writes
    assert all(len({pid for rid, pid in served.items() if rid.startswith(p)}) == 2 for p in ("ask-", "gap-"))

    with connect(database_url).connect() as db:
        logged = db.execute(text("select question from question_log where community = 'shop0'")).scalars().all()
        audited = db.execute(text("select request_id from audit_log")).scalars().all()
    assert sorted(logged) == sorted(UNKNOWN)  # the writes of both workers, none lost
    uploaded = [f"up-{c}" for c in COMMUNITIES] + [f"up-shared-{i}" for i in range(SHARED_UPLOADS)]
    assert sorted(audited) == sorted(uploaded)
