"""Text no encoder can send back, oversized bodies and long fields get a 4xx, and the
server keeps serving on the same kept-alive connection."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.services import Services
from tests.conftest import make_settings

SURROGATE = '"\\ud800"'
BODIES = {
    "/v1/moderations": ['{"input": %s}', '{"input": ["ok", %s]}', '{"input": "hi", "community": %s}'],
    "/v1/answers": ['{"question": %s}', '{"question": "hi", "member": %s}',
                    '{"question": "hi", "history": [{"role": "user", "content": %s}]}'],
    "/v1/chat/completions": ['{"model": %s, "messages": [{"role": "user", "content": "hi"}]}',
                             '{"model": "shequn", "messages": [{"role": "user", "content": %s}]}'],
    "/v1/knowledge/documents": ['{"community": "x", "faqs": [{"id": "a", "question": %s, "answer": "b"}]}'],
}  # fmt: skip
CASES = [(path, template) for path, templates in BODIES.items() for template in templates]


@pytest.mark.parametrize(("path", "template"), CASES)
def test_lone_surrogates_and_invalid_utf8_are_422_and_the_connection_lives(
    api_url: str, path: str, template: str
) -> None:
    headers = {"content-type": "application/json"}
    with httpx.Client(base_url=api_url) as client:
        for body in ((template % SURROGATE).encode(), (template % '"ok"').encode().replace(b"ok", b"\xff\xfe")):
            resp = client.post(path, content=body, headers=headers)
            assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_text", resp.text
        assert client.get("/healthz").status_code == 200  # same connection, still served


def test_emoji_written_as_a_surrogate_pair_is_fine(api_url: str) -> None:
    resp = httpx.post(f"{api_url}/v1/moderations", content=b'{"input": "\\ud83d\\ude00 hi"}',
                      headers={"content-type": "application/json"})  # fmt: skip
    assert resp.status_code == 200 and resp.json()["results"][0]["action"] == "allow"


def test_query_strings_with_invalid_utf8(api_url: str) -> None:
    resp = httpx.get(f"{api_url}/v1/knowledge/search?q=%ED%A0%80&community=mombaby")
    assert resp.status_code in (200, 422) and httpx.get(f"{api_url}/healthz").status_code == 200


def test_oversized_bodies_are_refused_before_they_are_read(sample_dir: Path) -> None:
    client = TestClient(create_app(services=Services(make_settings(sample_dir, max_body_bytes=4096))))
    big = '{"input": "' + "好" * 5000 + '"}'
    declared = client.post("/v1/moderations", content=big.encode(), headers={"content-type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large"

    def chunks():  # no content-length: counted as it arrives
        yield b'{"input": "'
        for _ in range(10):
            yield "好".encode() * 500
        yield b'"}'

    streamed = client.post("/v1/moderations", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_a_huge_model_name_is_not_echoed(api_url: str) -> None:
    resp = httpx.post(f"{api_url}/v1/chat/completions",
                      json={"model": "m" * 1_000_000, "messages": [{"role": "user", "content": "hi"}]})  # fmt: skip
    assert resp.status_code == 422 and len(resp.content) < 2000


def test_docs_work_offline(api_url: str) -> None:
    page = httpx.get(f"{api_url}/docs")
    assert page.status_code == 200 and "cdn" not in page.text and "/docs-assets/swagger-ui-bundle.js" in page.text
    assert httpx.get(f"{api_url}/docs-assets/swagger-ui-bundle.js").status_code == 200


BATCHES = {
    "/v1/moderations": ({"input": ["好"] * 10_000}, "input"),
    "/v1/sentiment/classify": ({"input": ["好"] * 10_000}, "input"),
    "/v1/knowledge/documents": (
        {"community": "x", "faqs": [{"id": f"f{i}", "question": "问", "answer": "答"} for i in range(10_000)]},
        "faqs+scripts",
    ),
}


@pytest.mark.parametrize("path", list(BATCHES))
def test_a_10000_item_batch_is_422_naming_the_field_and_its_limit(api_url: str, path: str) -> None:
    body, field = BATCHES[path]
    resp = httpx.post(f"{api_url}{path}", json=body)
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "too_many_items" and error["details"] == [{"field": field, "limit": 1000, "got": 10_000}]
    assert error["message"] == f"{field}: at most 1000 items, got 10000"
    assert httpx.get(f"{api_url}/healthz").status_code == 200


def test_text_limits_are_422_naming_the_field(api_url: str) -> None:
    chat = httpx.post(
        f"{api_url}/v1/chat/completions",
        json={
            "model": "shequn",
            "messages": [{"role": "system", "content": "hi"}, {"role": "user", "content": "长" * 5001}],
        },
    )
    assert chat.status_code == 422 and chat.json()["error"]["details"] == [
        {"field": "messages[1].content", "limit": 5000, "got": 5001}
    ]
    total = httpx.post(f"{api_url}/v1/moderations", json={"input": ["长" * 5000] * 201})
    assert total.status_code == 422 and total.json()["error"]["code"] == "too_much_text"
    assert total.json()["error"]["details"] == [{"field": "input", "limit": 1_000_000, "got": 1_005_000}]
