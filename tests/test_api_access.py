"""API keys, roles and community scope on every route of the OpenAPI document, the one error
shape with request ids, audit of writes, metrics and rate limits — in process (TestClient)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import OPEN_PATHS, rule_for
from assistant.knowledge.loader import load_knowledge
from assistant.llm.base import FakeChatModel
from assistant.services import Services
from tests.access_helpers import call_for, operations, write_knowledge
from tests.conftest import make_settings

KEYS = {
    "admin": "k-admin",
    "operator": "k-op-alpha",
    "bot": "k-bot-alpha",
    "reviewer": "k-rev-alpha",
}
ENV_KEYS = "k-admin:admin,k-op-alpha:operator:alpha,k-bot-alpha:bot:alpha,k-rev-alpha:reviewer:alpha,k-op-all:operator"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("access")
    write_knowledge(root / "knowledge")
    Services(make_settings(root / "data")).ingest(load_knowledge(root / "knowledge"))
    return root / "data"


def _client(data_dir: Path, **overrides: object) -> TestClient:
    settings = make_settings(data_dir, **{"api_keys": ENV_KEYS, "rate_limit": "1000/second", **overrides})
    return TestClient(create_app(services=Services(settings)), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    with _client(data_dir) as client:
        yield client


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict:
    return client.get("/openapi.json").json()


def test_the_roles_grant_what_the_issue_lists() -> None:
    expected = {
        ("POST", "/v1/knowledge/documents"): {"admin", "operator"},
        ("GET", "/v1/knowledge/search"): {"admin", "operator"},
        ("POST", "/v1/answers"): {"admin", "bot"},
        ("POST", "/v1/chat/completions"): {"admin", "bot"},
        ("POST", "/v1/moderations"): {"admin", "bot"},
        ("GET", "/v1/posts/due"): {"admin", "bot", "operator"},
        ("POST", "/v1/sentiment/classify"): {"admin", "bot"},
        ("POST", "/v1/drafts"): {"admin", "operator"},
        ("PUT", "/v1/plans/alpha"): {"admin", "operator"},
        ("GET", "/v1/sentiment/summaries"): {"admin", "operator", "reviewer"},
        ("POST", "/v1/sentiment/summaries"): {"admin", "operator"},
        ("POST", "/v1/evals/answers"): {"admin", "reviewer"},
        ("GET", "/v1/audit"): {"admin"},
        ("DELETE", "/v1/something-new"): {"admin"},  # not in the table: admin only
        ("GET", "/v1/knowledgebase"): {"admin"},  # prefixes match whole path segments
    }
    for (method, path), roles in expected.items():
        assert {"admin", *rule_for(method, path).roles} == roles, (method, path)


def test_without_a_key_every_route_but_the_open_ones_is_401(client: TestClient, spec: dict) -> None:
    for method, path, operation in operations(spec):
        resp = call_for(spec, method, path, operation, "alpha").send(client, None)
        if any(path == p or path.startswith(p + "/") for p in OPEN_PATHS):
            assert resp.status_code == 200, (method, path, resp.text)
        else:
            assert resp.status_code == 401, (method, path)
            assert resp.json()["error"]["code"] == "unauthorized"
            assert resp.headers["www-authenticate"] == "Bearer"
    assert client.get("/docs").status_code == 200
    assert client.get("/v1/answers", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/v1/models", headers={"Authorization": "Basic k-admin"}).status_code == 401


@pytest.mark.parametrize("role", sorted(KEYS))
def test_each_role_reaches_exactly_its_routes(client: TestClient, spec: dict, role: str) -> None:
    for method, path, operation in operations(spec):
        if path in OPEN_PATHS:
            continue
        resp = call_for(spec, method, path, operation, "alpha").send(client, KEYS[role])
        allowed = role == "admin" or role in rule_for(method, path).roles
        if allowed:
            assert resp.status_code not in (401, 403) and resp.status_code < 500, (role, method, path, resp.text)
        else:
            assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden", (role, method, path)


@pytest.mark.parametrize("role", ["operator", "bot", "reviewer"])
def test_a_key_of_another_community_is_refused_on_every_route(client: TestClient, spec: dict, role: str) -> None:
    """Keys scoped to alpha, asking about beta: 403 wherever a community is named, and no
    listing shows beta."""
    named = 0
    for method, path, operation in operations(spec):
        if path in OPEN_PATHS or role not in rule_for(method, path).roles:
            continue
        call = call_for(spec, method, path, operation, "beta")
        resp = call.send(client, KEYS[role])
        named += call.names_community
        if call.names_community:
            assert resp.status_code == 403, (role, method, path, resp.text)
            assert resp.json()["error"]["code"] == "forbidden_community"
        else:
            assert resp.status_code < 500 and "beta" not in resp.text, (role, method, path)
    assert "beta" not in client.get("/healthz", headers={"Authorization": f"Bearer {KEYS[role]}"}).text
    assert named >= {"operator": 2, "bot": 3, "reviewer": 0}[role]  # search + upload; answers, moderation, chat


def test_a_scoped_key_means_its_community_when_none_is_named(client: TestClient) -> None:
    bot = {"Authorization": "Bearer k-bot-alpha"}
    resp = client.post("/v1/answers", json={"question": "团购的东西多久发货？"}, headers=bot)
    assert resp.status_code == 200 and resp.json()["citations"][0]["id"] == "al-001"
    # an operator of every community asking about every community is fine
    op_all = {"Authorization": "Bearer k-op-all"}
    assert client.get("/v1/knowledge/search", params={"q": "退款"}, headers=op_all).status_code == 200
    # a scoped operator cannot write shared entries (they reach every community)
    shared = {"faqs": [{"id": "x-1", "question": "问题", "answer": "回答。"}]}
    op = {"Authorization": "Bearer k-op-all"}
    assert client.post("/v1/knowledge/documents", json=shared, headers=op).status_code == 200
    beta_item = {"faqs": [{"id": "x-2", "community": "beta", "question": "问题", "answer": "回答。"}]}
    refused = client.post("/v1/knowledge/documents", json=beta_item, headers={"Authorization": "Bearer k-op-alpha"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden_community"


def test_healthz_shows_communities_only_to_keys_that_cover_them(client: TestClient) -> None:
    assert client.get("/healthz").json()["communities"] == {}
    assert set(client.get("/healthz", headers={"Authorization": "Bearer k-admin"}).json()["communities"]) >= {
        "alpha",
        "beta",
    }
    assert list(client.get("/healthz", headers={"Authorization": "Bearer k-bot-alpha"}).json()["communities"]) == [
        "alpha"
    ]
    models = client.get("/v1/models", headers={"Authorization": "Bearer k-bot-alpha"}).json()["data"]
    assert {m["id"] for m in models} == {
        "shequn", "shequn-moderation", "shequn/alpha", "shequn-moderation/alpha", "shequn-draft/alpha"
    }  # fmt: skip


def test_keys_from_the_database_and_revocation(data_dir: Path) -> None:
    clock = [0.0]
    with _client(data_dir) as client:
        services = client.app.state.services  # type: ignore[attr-defined]
        services.keyring._clock = lambda: clock[0]
        row, secret = services.key_store.create("beta-bot", "bot", frozenset({"beta"}))
        assert secret not in str(services.key_store.list()[-1].__dict__)
        clock[0] += 10
        headers = {"Authorization": f"Bearer {secret}"}
        ok = client.post("/v1/moderations", json={"input": "你好", "community": "beta"}, headers=headers)
        assert ok.status_code == 200
        other = client.post("/v1/moderations", json={"input": "你好", "community": "alpha"}, headers=headers)
        assert other.status_code == 403
        services.key_store.revoke(row.id)
        clock[0] += 10
        assert client.post("/v1/moderations", json={"input": "你好"}, headers=headers).status_code == 401


def test_with_no_key_at_all_every_request_is_admin(data_dir: Path) -> None:
    with _client(data_dir, api_keys="", database_url=f"sqlite:///{data_dir}/open.db") as client:
        assert client.get("/v1/audit").status_code == 200
        assert set(client.get("/healthz").json()["communities"]) >= {"alpha", "beta"}


def test_errors_carry_the_request_id(client: TestClient) -> None:
    given = client.get("/v1/audit", headers={"X-Request-ID": "bot-42.a"})
    assert given.status_code == 401 and given.headers["x-request-id"] == "bot-42.a"
    assert given.json()["error"]["request_id"] == "bot-42.a"
    made = client.post("/v1/moderations", content=b"{nope", headers={"Authorization": "Bearer k-admin"})
    assert made.status_code == 422
    error = made.json()["error"]
    assert set(error) == {"code", "message", "details", "request_id"}
    assert error["request_id"] == made.headers["x-request-id"] and len(error["request_id"]) == 32
    hostile = client.get("/healthz", headers={"X-Request-ID": "a\tb" + "x" * 100})
    assert hostile.headers["x-request-id"] != "a\tb" + "x" * 100
    big = client.post(
        "/v1/moderations",
        content=b"x",
        headers={"Authorization": "Bearer k-admin", "content-length": str(10**9), "X-Request-ID": "big-1"},
    )
    assert big.status_code == 413 and big.json()["error"]["request_id"] == "big-1"


def test_rate_limits_answer_429_with_retry_after(data_dir: Path) -> None:
    with _client(data_dir, rate_limit="3/minute") as client:
        headers = {"Authorization": "Bearer k-bot-alpha"}
        codes = [client.post("/v1/moderations", json={"input": "你好"}, headers=headers).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.post("/v1/moderations", json={"input": "你好"}, headers=headers)
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # another key has its own budget
        other = client.post("/v1/moderations", json={"input": "你好"}, headers={"Authorization": "Bearer k-admin"})
        assert other.status_code == 200


def test_writes_are_audited_and_only_admins_read_the_audit(client: TestClient) -> None:
    op = {"Authorization": "Bearer k-op-alpha", "X-Request-ID": "audit-me"}
    upload = {"faqs": [{"id": "al-900", "question": "几点开团？", "answer": "每天早上十点开团。"}]}
    assert client.post("/v1/knowledge/documents", json=upload, headers=op).status_code == 200
    client.post("/v1/moderations", json={"input": "你好"}, headers={"Authorization": "Bearer k-bot-alpha"})
    entries = client.get("/v1/audit", headers={"Authorization": "Bearer k-admin"}).json()["entries"]
    mine = [e for e in entries if e["request_id"] == "audit-me"]
    assert len(mine) == 1
    assert mine[0]["key_id"] == "env-2" and mine[0]["role"] == "operator" and mine[0]["community"] == "alpha"
    assert mine[0]["action"] == "POST /v1/knowledge/documents" and mine[0]["status"] == 200
    assert not any(e["action"].startswith("POST /v1/moderations") for e in entries)  # not a write
    assert client.get("/v1/audit", headers={"Authorization": "Bearer k-op-all"}).status_code == 403
    assert dt.datetime.fromisoformat(mine[0]["at"]).utcoffset() == dt.timedelta(0)
    beijing = dt.timezone(dt.timedelta(hours=8))
    for hours, found in ((-1, True), (1, False)):
        since = (dt.datetime.now(beijing) + dt.timedelta(hours=hours)).isoformat()
        page = client.get("/v1/audit", params={"since": since}, headers={"Authorization": "Bearer k-admin"}).json()
        assert any(e["request_id"] == "audit-me" for e in page["entries"]) is found, since


def test_metrics_are_open_and_count_routes_and_verdicts(client: TestClient) -> None:
    admin = {"Authorization": "Bearer k-admin"}
    client.post("/v1/moderations", json={"input": ["你好", "加 V 信 abc_2026x 私聊领取"]}, headers=admin)
    client.post("/v1/answers", json={"question": "团购的东西多久发货？", "community": "alpha"}, headers=admin)
    text = client.get("/metrics").text
    assert 'shequn_http_request_duration_seconds_count{method="POST",route="/v1/moderations",status="200"}' in text
    assert 'shequn_moderation_verdicts_total{action="allow",category="none"}' in text
    assert 'category="spam_ads"' in text
    assert 'shequn_answers_total{decision="answer"}' in text
    assert 'shequn_engine_results_total{engine="offline",task="moderation"}' in text
    assert "k-admin" not in text


def test_the_openapi_document_declares_the_bearer_scheme(spec: dict) -> None:
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer KEY`.",
    }
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    moderation = spec["paths"]["/v1/moderations"]["post"]
    assert moderation["security"] == [{"bearer": []}] and "Roles: admin, bot." in moderation["description"]
    assert moderation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    body = spec["components"]["schemas"]["ModerationRequest"]
    assert body["examples"][0]["community"] == "mombaby"


def test_a_failing_llm_is_counted_as_a_fallback(data_dir: Path) -> None:
    """FakeChatModel with nothing queued fails every call: answers fall back to offline."""
    settings = make_settings(data_dir, api_keys="k:admin", rate_limit="")
    app = create_app(services=Services(settings, chat_model=FakeChatModel()))
    with TestClient(app) as client:
        before = _sample(client, "shequn_llm_fallbacks_total", 'task="answer"')
        body = {"question": "团购的东西多久发货？", "community": "alpha"}
        result = client.post("/v1/answers", json=body, headers={"Authorization": "Bearer k"}).json()
        assert result["engine"] == "llm→offline"
        assert _sample(client, "shequn_llm_fallbacks_total", 'task="answer"') == before + 1


def test_a_key_may_carry_its_own_rate_limit(data_dir: Path) -> None:
    with _client(data_dir) as client:
        _, secret = client.app.state.services.key_store.create("slow", "bot", None, "1/minute")  # type: ignore[attr-defined]
        headers = {"Authorization": f"Bearer {secret}"}
        codes = [client.post("/v1/moderations", json={"input": "你好"}, headers=headers).status_code for _ in range(2)]
        assert codes == [200, 429]


def _sample(client: TestClient, name: str, labels: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f"{name}{{") and labels in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0
