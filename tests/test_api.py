from pathlib import Path

import httpx


def test_healthz_lists_communities(api_url: str) -> None:
    body = httpx.get(f"{api_url}/healthz").json()
    assert body["status"] == "ok" and body["vector_store"] == "chroma-embedded"
    assert body["communities"]["mombaby"] >= 100 and body["communities"]["course"] >= 100


def test_search(api_url: str) -> None:
    resp = httpx.get(
        f"{api_url}/v1/knowledge/search", params={"q": "年卡多少钱", "community": "course", "k": 2, "kind": "faq"}
    )
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert len(results) == 2 and all(r["kind"] == "faq" and r["community"] == "course" for r in results)


def test_search_errors_are_machine_readable(api_url: str) -> None:
    missing = httpx.get(f"{api_url}/v1/knowledge/search", params={"community": "course"})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_request"
    assert missing.json()["error"]["details"][0]["loc"] == ["query", "q"]
    unknown = httpx.get(f"{api_url}/v1/knowledge/search", params={"q": "退款", "community": "nobody"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_community"
    bad_k = httpx.get(f"{api_url}/v1/knowledge/search", params={"q": "退款", "k": 0})
    assert bad_k.status_code == 422


def test_upload_validates_every_item_and_ingests_atomically(api_url: str) -> None:
    bad = {
        "community": "apitest",
        "faqs": [
            {"id": "u-1", "question": "能开专票吗", "answer": "暂不支持专票。"},
            {"id": "u-2", "question": "缺答案"},
        ],
        "scripts": [{"id": "s-1", "kind": "welcome", "title": "欢迎", "body": "欢迎{nickname}", "slots": []}],
    }
    resp = httpx.post(f"{api_url}/v1/knowledge/documents", json=bad)
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "invalid_items"
    assert [(d["kind"], d["index"], d["id"]) for d in error["details"]] == [("faq", 1, "u-2"), ("script", 0, "s-1")]
    assert "apitest" not in httpx.get(f"{api_url}/healthz").json()["communities"]

    good = {"community": "apitest", "faqs": [bad["faqs"][0]]}
    ok = httpx.post(f"{api_url}/v1/knowledge/documents", json=good)
    assert ok.status_code == 200 and ok.json()["added"] == ["u-1"]
    hits = httpx.get(f"{api_url}/v1/knowledge/search", params={"q": "专票", "community": "apitest"}).json()["results"]
    assert hits[0]["id"] == "u-1"


def test_upload_rejects_empty_and_non_json(api_url: str) -> None:
    empty = httpx.post(f"{api_url}/v1/knowledge/documents", json={"faqs": []})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_upload"
    garbage = httpx.post(
        f"{api_url}/v1/knowledge/documents", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 422 and "error" in garbage.json()


def test_openapi_docs_are_served(api_url: str) -> None:
    assert httpx.get(f"{api_url}/docs").status_code == 200
    assert "/v1/knowledge/search" in httpx.get(f"{api_url}/openapi.json").json()["paths"]


def test_moderation_single_and_batch(api_url: str) -> None:
    one = httpx.post(f"{api_url}/v1/moderations", json={"input": "加 V 信领红包 abc_2026x"})
    assert one.status_code == 200 and one.json()["results"][0]["risky"]
    many = httpx.post(f"{api_url}/v1/moderations", json={"input": ["你好呀", "代开发票联系我"], "community": "mombaby"})
    results = many.json()["results"]
    assert [r["risky"] for r in results] == [False, True]


def test_moderation_limits(api_url: str) -> None:
    too_many = httpx.post(f"{api_url}/v1/moderations", json={"input": ["好"] * 1001})
    error = too_many.json()["error"]
    assert too_many.status_code == 422 and error["code"] == "too_many_items"
    assert error["details"] == [{"field": "input", "limit": 1000, "got": 1001}] and "at most 1000" in error["message"]
    too_long = httpx.post(f"{api_url}/v1/moderations", json={"input": ["好", "长" * 5001]})
    assert too_long.status_code == 422 and too_long.json()["error"]["details"] == [
        {"field": "input[1]", "index": 1, "limit": 5000, "got": 5001}
    ]
    one_too_long = httpx.post(f"{api_url}/v1/moderations", json={"input": "长" * 5001})
    assert one_too_long.json()["error"]["details"][0]["field"] == "input"
    empty = httpx.post(f"{api_url}/v1/moderations", json={"input": []})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_input"
    wrong_type = httpx.post(f"{api_url}/v1/moderations", json={"input": 42})
    assert wrong_type.status_code == 422


def test_a_broken_policy_file_is_a_named_config_error(api_url: str, api_data_dir: Path) -> None:
    """The operator's broken file is named with its reasons (503 until fixed), not a bare 500;
    and the fix applies to the next request without a restart."""
    policy = api_data_dir / "answering" / "mombaby.yaml"
    policy.parent.mkdir(exist_ok=True)
    policy.write_text("answer_threshold: 0.4\nclarify_threshold: 0.5\n", encoding="utf-8")
    try:
        broken = httpx.post(f"{api_url}/v1/answers", json={"question": "怎么开发票", "community": "mombaby"})
        error = broken.json()["error"]
        assert broken.status_code == 503 and error["code"] == "invalid_config"
        assert error["details"] == [
            {
                "file": "answering/mombaby.yaml",
                "reason": "file: Value error, clarify_threshold must not exceed answer_threshold",
            }
        ]
        policy.write_text("answer_threshold: 0.6\nclarify_threshold: 0.5\n", encoding="utf-8")
        fixed = httpx.post(f"{api_url}/v1/answers", json={"question": "怎么开发票", "community": "mombaby"})
        assert fixed.status_code == 200
    finally:
        policy.unlink()
