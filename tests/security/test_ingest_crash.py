"""A server killed in the middle of an upload leaves, after a restart, either the whole batch
or none of it: the journal written before the first vector is rolled back at start-up."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx

from assistant.retrieval.journal import JOURNAL
from tests.conftest import BIN, answers, cli_env, free_port, started_server

N = 3000


def _upload_body() -> dict[str, object]:
    faqs = [{"id": f"c-{i}", "question": f"第{i}号商品什么时候发货", "similar": [f"{i}号多久能到"],
             "answer": f"{i}号商品当天16点前下单当天发货。"} for i in range(N)]  # fmt: skip
    return {"community": "crashtest", "faqs": faqs}


def test_a_killed_upload_is_rolled_back_at_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = cli_env(data_dir, SHEQUN_MAX_BATCH=str(N))
    port = free_port()
    journal = data_dir / "lexical" / "crashtest" / JOURNAL
    proc = subprocess.Popen([str(BIN / "shequn"), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        assert answers(f"http://127.0.0.1:{port}/healthz")
        sender = threading.Thread(
            target=lambda: _quietly(
                lambda: httpx.post(f"http://127.0.0.1:{port}/v1/knowledge/documents", json=_upload_body(), timeout=120)
            ),  # fmt: skip
            daemon=True,
        )
        sender.start()
        deadline = time.monotonic() + 60
        while not journal.exists() and time.monotonic() < deadline:
            time.sleep(0.001)
        assert journal.exists(), "the upload finished before it could be interrupted"
        os.kill(proc.pid, signal.SIGKILL)  # mid-batch: vectors written, catalog not
    finally:
        proc.kill()
        proc.wait(timeout=10)
    port = free_port()
    with started_server([str(BIN / "shequn"), "serve", "--port", str(port)], port, "/healthz", env) as url:
        health = httpx.get(f"{url}/healthz").json()
        assert health["index_consistent"] and health["status"] == "ok", health
        assert "crashtest" not in health["communities"]  # its first batch never completed
        again = httpx.post(f"{url}/v1/knowledge/documents", json=_upload_body(), timeout=120)
        assert again.status_code == 200 and len(again.json()["added"]) == N
        assert httpx.get(f"{url}/healthz").json()["communities"]["crashtest"] == N
    assert not journal.exists()


def _quietly(call: object) -> None:
    with contextlib.suppress(httpx.TransportError):  # the server is killed under it
        call()  # type: ignore[operator]


def test_a_half_written_update_is_rolled_back_to_the_catalog(tmp_path: Path) -> None:
    """Vectors of a changed entry and of a new one written, the catalog not: after recovery
    Chroma holds exactly the catalog's entries again."""
    import json

    from assistant.knowledge.loader import load_knowledge
    from assistant.retrieval import journal as batch
    from assistant.services import Services
    from tests.conftest import make_settings

    faq = tmp_path / "faq.jsonl"
    rows = [{"id": "a", "question": "几点发货", "answer": "16点前下单当天发货。"},
            {"id": "b", "question": "能开发票吗", "answer": "可以开电子发票。"}]  # fmt: skip
    faq.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    settings = make_settings(tmp_path / "data")
    index = Services(settings).index
    index.ingest(load_knowledge(faq, community="shop"))
    scope_dir = settings.lexical_path / "shop"
    batch.begin(scope_dir, ["a", "new"])
    vectors = index.embedder.embed(["完全不同的文字", "新条目"])
    index.store.upsert("shop", ["a", "new"], vectors, [{"kind": "faq", "hash": "x"}] * 2)
    assert index.inconsistent() == ["shop"]
    reopened = Services(settings).index  # start-up recovers
    assert reopened.inconsistent() == [] and reopened.store.count("shop") == 2
    assert reopened.search("几点发货", "shop", k=1)[0].id == "a"
