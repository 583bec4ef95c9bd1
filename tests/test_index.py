import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.knowledge.loader import load_knowledge
from assistant.knowledge.models import FaqEntry
from assistant.retrieval.catalog import load_catalog, load_terms
from assistant.retrieval.exact import ExactVectors
from assistant.retrieval.index import KnowledgeIndex, UnknownCommunity
from tests.conftest import SAMPLE_KNOWLEDGE, make_settings


def _faq_file(path: Path, entries: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in entries) + "\n", encoding="utf-8")
    return path


ENTRIES = [
    {
        "id": "a-1",
        "question": "下单后多久发货",
        "similar": ["几天能发出来", "什么时候寄出"],
        "answer": "付款后24小时内发出。",
    },
    {"id": "a-2", "question": "发票怎么开", "similar": ["要开票", "报销凭证"], "answer": "在订单详情申请电子发票。"},
    {"id": "a-3", "question": "优惠券怎么用", "similar": ["券在哪用"], "answer": "结算页自动抵扣。"},
]


def test_ingest_is_idempotent_and_incremental(empty_index: KnowledgeIndex, tmp_path: Path) -> None:
    path = _faq_file(tmp_path / "faq.jsonl", ENTRIES)
    first = empty_index.ingest(load_knowledge(path, community="shop"))
    assert sorted(first.added) == ["a-1", "a-2", "a-3"] and first.communities == {"shop": 3}

    again = empty_index.ingest(load_knowledge(path, community="shop"))
    assert (again.added, again.updated, again.unchanged, again.removed) == ([], [], 3, [])

    changed = [dict(ENTRIES[0], answer="付款后48小时内发出。"), ENTRIES[1]]
    _faq_file(path, changed)
    third = empty_index.ingest(load_knowledge(path, community="shop"))
    assert (third.updated, third.removed, third.unchanged) == (["a-1"], ["a-3"], 1)
    assert empty_index.search("优惠券怎么用", "shop", k=3)[0].id != "a-3"


def test_a_file_with_errors_removes_nothing(empty_index: KnowledgeIndex, tmp_path: Path) -> None:
    path = _faq_file(tmp_path / "faq.jsonl", ENTRIES)
    empty_index.ingest(load_knowledge(path, community="shop"))
    path.write_text(json.dumps(ENTRIES[0], ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    report = empty_index.ingest(load_knowledge(path, community="shop"))
    assert report.removed == [] and len(report.errors) == 1
    assert report.communities == {"shop": 3}


def test_search_resolves_similar_questions_to_their_entry(sample_index: KnowledgeIndex) -> None:
    faqs = [i for i in load_knowledge(SAMPLE_KNOWLEDGE / "faq").items if isinstance(i, FaqEntry)]
    found = 0
    for entry in faqs:
        hits = sample_index.search(entry.similar[-1], entry.community, k=3, kinds=["faq"])
        assert all(h.kind == "faq" and h.community == entry.community for h in hits)
        found += hits[0].id == entry.id
    assert found / len(faqs) >= 0.95  # a similar question typed verbatim finds its own entry


def test_search_hits_are_typed_and_explained(sample_index: KnowledgeIndex) -> None:
    hit = sample_index.search("发票怎么开", "mombaby", k=1)[0]
    assert hit.kind in {"faq", "script"} and hit.title and hit.snippet
    assert set(hit.retrievers) <= {"dense", "lexical"} and hit.retrievers
    assert 0 <= hit.confidence <= 1 and 0 <= hit.coverage <= 1


def test_small_communities_are_searched_exactly_in_memory_as_chroma_ranks_them(sample_index: KnowledgeIndex) -> None:
    """The in-memory search returns Chroma's nearest entries with its similarities (to float32
    rounding); only entries sharing no feature with the query (similarity 0) tie in any order."""
    questions = [i.similar[-1] for i in load_knowledge(SAMPLE_KNOWLEDGE / "faq").items if isinstance(i, FaqEntry)]
    catalogs = [
        load_catalog(sample_index.settings.lexical_path / s / "catalog.json") for s in sample_index.communities()
    ]
    kinds = {rid: r.kind for catalog in catalogs for rid, r in catalog.items()}
    compared = 0
    for scope in sample_index.communities():
        exact = ExactVectors(*sample_index.store.vectors(scope), kinds)
        assert len(exact) == sample_index.count(scope)
        for question in questions[::3]:
            vector = sample_index.embedder.embed([question])[0]
            for wanted in (None, {"faq"}):
                chroma = [(rid, sim) for rid, sim in sample_index.store.query(scope, vector, 20, wanted) if sim > 1e-6]
                mine = exact.nearest(vector, 20, wanted)[: len(chroma)]
                assert [rid for rid, _ in mine] == [rid for rid, _ in chroma]
                assert [sim for _, sim in mine] == pytest.approx([sim for _, sim in chroma], abs=1e-6)
                assert all(kinds[rid] == "faq" for rid, _ in mine) or wanted is None
                compared += len(chroma)
    assert compared > 1000


def test_large_communities_are_searched_in_chroma_with_the_same_hits(sample_dir: Path) -> None:
    in_memory, in_chroma = (
        KnowledgeIndex(make_settings(sample_dir)),
        KnowledgeIndex(make_settings(sample_dir), max_exact=0),
    )
    for question in ["发票怎么开", "退款多久到账", "课程可以回放吗", "宝宝奶粉怎么冲"]:
        for scope in ["mombaby", "course"]:
            mine, chroma = (
                in_memory.search(question, scope, kinds={"faq"}),
                in_chroma.search(question, scope, kinds={"faq"}),
            )
            assert [h.id for h in mine] == [h.id for h in chroma] and mine
            assert [h.confidence for h in mine] == pytest.approx([h.confidence for h in chroma], abs=1e-4)


def test_community_filter_and_unknown_community(sample_index: KnowledgeIndex) -> None:
    assert all(h.community == "course" for h in sample_index.search("退款多久到账", "course", k=10))
    with pytest.raises(UnknownCommunity):
        sample_index.search("退款", "no-such-group")


def test_entries_without_community_are_shared(empty_index: KnowledgeIndex, tmp_path: Path) -> None:
    empty_index.ingest(load_knowledge(_faq_file(tmp_path / "shared.jsonl", ENTRIES[:1])))
    empty_index.ingest(load_knowledge(_faq_file(tmp_path / "shop.jsonl", ENTRIES[1:]), community="shop"))
    hits = empty_index.search("几天能发出来", "shop", k=3)
    assert hits[0].id == "a-1" and hits[0].community is None


def test_persisted_index_reopens_in_a_new_process(empty_index: KnowledgeIndex, tmp_path: Path) -> None:
    """Chroma rebuilds our registered embedding function from the stored config."""
    empty_index.ingest(load_knowledge(_faq_file(tmp_path / "faq.jsonl", ENTRIES), community="shop"))
    code = (
        "import sys, json; from pathlib import Path; from assistant.settings import Settings;"
        "from assistant.retrieval.vector_store import VectorStore, ShequnEmbeddingFunction;"
        "import chromadb;"
        "c = chromadb.PersistentClient(path=sys.argv[1]);"
        "col = [x for x in c.list_collections() if x.name.endswith('-shop')][0];"
        "col = c.get_collection(col.name);"
        "r = col.query(query_texts=['开票'], n_results=1);"
        "print(json.dumps({'ef': col.configuration_json['embedding_function']['name'], 'id': r['ids'][0][0]}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(empty_index.settings.chroma_path)], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"ef": "shequn", "id": "a-2"}


def test_ingest_splits_batches_beyond_chroma_limit(empty_index: KnowledgeIndex) -> None:
    limit = empty_index.store.client.get_max_batch_size()
    loaded = load_knowledge(Path("/nonexistent"))
    loaded.errors.clear()
    for i in range(limit + 10):
        loaded.add(
            FaqEntry(
                id=f"bulk-{i}", question=f"第{i}号商品怎么买", answer=f"第{i}号商品在小程序购买。", community="bulk"
            ),
            "mem",
            None,
        )
    report = empty_index.ingest(loaded)
    assert report.communities == {"bulk": limit + 10}
    assert empty_index.store.count("bulk") == limit + 10


def test_second_index_sees_other_processes_ingest(tmp_path: Path) -> None:
    """The API keeps one index open while `shequn ingest` runs elsewhere: it must reload."""
    settings = make_settings(tmp_path / "data")
    reader = KnowledgeIndex(settings)
    writer = KnowledgeIndex(settings)
    writer.ingest(load_knowledge(_faq_file(tmp_path / "a.jsonl", ENTRIES[:1]), community="shop"))
    assert [h.id for h in reader.search("发货", "shop")] == ["a-1"]
    writer.ingest(load_knowledge(_faq_file(tmp_path / "b.jsonl", ENTRIES[1:2]), community="shop"))
    assert reader.search("发票怎么开", "shop")[0].id == "a-2"


def test_ingest_in_worker_processes_builds_the_same_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked workers segment and embed; records, BM25 terms, vectors and search results are
    exactly those of a one-process ingest."""
    from assistant import workers
    from assistant.retrieval import index as index_module

    pools: list[int] = []

    class CountedPool(workers.ProcessPoolExecutor):
        def __init__(self, workers: int, **kwargs: object) -> None:
            pools.append(workers)
            super().__init__(workers, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(index_module, "WRITE_CHUNK", 20)
    monkeypatch.setattr(index_module, "MIN_ENTRIES_PER_WORKER", 20)
    monkeypatch.setattr(workers, "ProcessPoolExecutor", CountedPool)
    loaded = load_knowledge(SAMPLE_KNOWLEDGE)
    one = KnowledgeIndex(make_settings(tmp_path / "one"))
    one.ingest(loaded, workers=1)
    assert pools == []
    two = KnowledgeIndex(make_settings(tmp_path / "two"))
    report = two.ingest(loaded, workers=2)
    assert pools and set(pools) == {2}

    assert report.communities == {c: one.count(c) for c in one.communities()}
    for scope in one.communities():
        assert two._scope(scope).records == one._scope(scope).records
        assert load_terms(two._terms_path(scope)) == load_terms(one._terms_path(scope))
        ids = sorted(one._scope(scope).records)
        stored = [index.store._collection(scope).get(ids=ids, include=["embeddings"]) for index in (one, two)]
        assert stored[0]["ids"] == stored[1]["ids"]
        assert (stored[0]["embeddings"] == stored[1]["embeddings"]).all()
    for question in ["奶粉怎么冲", "直播回放在哪看", "发票抬头写错了"]:
        assert two.search(question, k=5) == one.search(question, k=5)
