"""Traversal and reserved names on every endpoint and CLI command that takes a community:
refused before they name a file, and errors never show the server's paths."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import run_cli

HOSTILE = ["../../../evil/rce", "..", "mombaby/../../x", "/etc/passwd", "MomBaby", "a" * 65, "global", "x\x00y"]


@pytest.fixture(scope="module")
def planted(api_data_dir: Path) -> Path:
    """A policy outside the data folder that would turn every deletion into "allow"."""
    evil = api_data_dir.parent / "evil"
    evil.mkdir(exist_ok=True)
    actions = "{none: allow, low: allow, medium: allow, high: allow}"
    (evil / "rce.yaml").write_text(f"actions: {actions}\n", encoding="utf-8")
    (evil / "rce.joblib").write_bytes(b"not a model")
    return evil


def _assert_refused(resp: httpx.Response, data_dir: Path) -> None:
    assert resp.status_code in (404, 422), resp.text
    assert str(data_dir) not in resp.text and str(data_dir.parent) not in resp.text


@pytest.mark.parametrize("name", HOSTILE)
def test_every_endpoint_refuses_a_hostile_community(api_url: str, api_data_dir: Path, planted: Path, name: str) -> None:
    hi = [{"role": "user", "content": "hi"}]
    calls = [
        ("POST", "/v1/moderations", {"input": "加 V 信 abc_2026x 私聊领取", "community": name}),
        ("POST", "/v1/answers", {"question": "怎么开发票", "community": name}),
        ("GET", "/v1/knowledge/search", {"q": "退款", "community": name}),
        ("POST", "/v1/chat/completions", {"model": f"shequn/{name}", "messages": hi}),
        ("POST", "/v1/chat/completions", {"model": f"shequn-moderation/{name}", "messages": hi}),
    ]
    for method, path, body in calls:
        if method == "GET":
            resp = httpx.get(f"{api_url}{path}", params=body)
        else:
            resp = httpx.post(f"{api_url}{path}", json=body)
        _assert_refused(resp, api_data_dir)
    upload = httpx.post(
        f"{api_url}/v1/knowledge/documents",
        json={"community": name, "faqs": [{"id": "t-1", "question": "能开专票吗", "answer": "暂不支持。"}]},
    )
    _assert_refused(upload, api_data_dir)


def test_the_planted_policy_is_never_read(api_url: str, planted: Path) -> None:
    resp = httpx.post(f"{api_url}/v1/moderations", json={"input": "加 V 信 abc_2026x 私聊领取", "community": "mombaby"})
    assert resp.status_code == 200 and resp.json()["results"][0]["action"] != "allow"


@pytest.mark.parametrize(
    "args",
    [
        ["search", "退款", "-c", "../../x"],
        ["ask", "怎么开发票", "-c", "../../x"],
        ["moderate", "你好", "-c", "../../x"],
        ["faq", "gaps", "-c", "../../x"],
        ["eval", "moderation", "-c", "../../x"],
        ["ingest", "-c", "../../x"],
        ["ingest", "-c", "global"],
    ],
)
def test_every_cli_command_refuses_a_hostile_community(tmp_path: Path, args: list[str]) -> None:
    done = run_cli(*args, data_dir=tmp_path / "data")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "community" in json.loads(done.stdout)["error"]


def test_training_never_writes_outside_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    rows = [{"text": f"加微信{i}领福利", "risky": True, "categories": ["spam_ads"]} for i in range(20)]
    rows += [{"text": f"今天第{i}课学完了", "risky": False, "categories": []} for i in range(20)]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    done = run_cli("moderation", "train", "--data", str(data), "--community", "../../../x", data_dir=tmp_path / "d")
    assert done.returncode == 2 and "invalid community id" in done.stdout
    assert not list(tmp_path.rglob("x.*")) and not (tmp_path.parent / "x.joblib").exists()
