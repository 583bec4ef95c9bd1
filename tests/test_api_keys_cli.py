"""Keys and audit from the command line, and a real server: it refuses to serve without keys
off loopback, says loudly that it is open on loopback, and logs JSON lines that carry request
ids and never a key."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import BIN, cli_env, free_port, run_cli


def test_keys_create_list_revoke_and_audit(tmp_path: Path) -> None:
    made = run_cli("keys", "create", "--name", "alpha-bot", "--role", "bot", "-c", "alpha", data_dir=tmp_path)
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert key["secret"].startswith("shq_") and key["communities"] == ["alpha"] and key["role"] == "bot"
    assert "shown once" in made.stderr

    listed = run_cli("keys", "list", data_dir=tmp_path)
    assert [k["id"] for k in json.loads(listed.stdout)] == [key["id"]]
    assert key["secret"] not in listed.stdout
    assert key["secret"].encode() not in (tmp_path / "shequn.db").read_bytes()

    assert run_cli("keys", "revoke", key["id"], data_dir=tmp_path).returncode == 0
    assert json.loads(run_cli("keys", "list", data_dir=tmp_path).stdout) == []
    assert json.loads(run_cli("keys", "list", "--all", data_dir=tmp_path).stdout)[0]["revoked_at"]
    again = run_cli("keys", "revoke", key["id"], data_dir=tmp_path)
    assert again.returncode == 2 and again.stderr.count("\n") == 1

    audit = [json.loads(line) for line in run_cli("audit", data_dir=tmp_path).stdout.splitlines()]
    assert [a["action"] for a in audit] == ["keys revoke", "keys create"]
    assert audit[0]["key_id"].startswith("cli:") and audit[0]["target"] == f"key {key['id']}"


def test_bad_key_options_are_one_line_errors(tmp_path: Path) -> None:
    for args in (
        ["keys", "create", "--name", "x", "--role", "root"],
        ["keys", "create", "--name", "x", "--role", "bot", "-c", "../etc"],
        ["keys", "create", "--name", "x", "--role", "bot", "--rate-limit", "lots"],
    ):
        result = run_cli(*args, data_dir=tmp_path)
        assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, args


def test_serve_refuses_a_public_address_without_keys(tmp_path: Path) -> None:
    result = run_cli("serve", "--host", "0.0.0.0", "--port", str(free_port()), data_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no API key is configured" in result.stderr


def test_serve_refuses_malformed_settings_keys(tmp_path: Path) -> None:
    result = run_cli("serve", data_dir=tmp_path, SHEQUN_API_KEYS="k1:wizard")
    assert result.returncode == 2 and "unknown role" in result.stderr and "k1" not in result.stderr


@contextmanager
def _server(data_dir: Path, log: Path, host: str = "127.0.0.1", **env: str) -> Iterator[str]:
    port = free_port()
    command = [str(BIN / "shequn"), "serve", "--host", host, "--port", str(port)]
    with log.open("w") as err:
        proc = subprocess.Popen(command, env=cli_env(data_dir, **env), stdout=subprocess.DEVNULL, stderr=err)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_a_real_server_with_keys_logs_json_without_the_key(tmp_path: Path) -> None:
    secret = "s3cret-admin-key-123"
    log = tmp_path / "server.log"
    with _server(tmp_path, log, host="0.0.0.0", SHEQUN_API_KEYS=f"{secret}:admin,botkey-456:bot") as url:
        assert httpx.post(f"{url}/v1/moderations", json={"input": "你好"}).status_code == 401
        ok = httpx.post(
            f"{url}/v1/moderations",
            json={"input": "你好"},
            headers={"Authorization": f"Bearer {secret}", "X-Request-ID": "trace-7"},
        )
        assert ok.status_code == 200 and ok.headers["x-request-id"] == "trace-7"
        denied = httpx.get(f"{url}/v1/audit", headers={"Authorization": "Bearer botkey-456"})
        assert denied.status_code == 403
    text = log.read_text()
    assert secret not in text and "botkey-456" not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "shequn.access"]
    traced = [line for line in access if line["request_id"] == "trace-7"]
    assert traced and traced[0]["route"] == "/v1/moderations" and traced[0]["status"] == 200
    assert traced[0]["key_id"] == "env-1" and traced[0]["latency_ms"] >= 0
    assert any(line["status"] == 403 and line["key_id"] == "env-2" for line in access)
    assert not [line for line in text.splitlines() if line.strip() and not line.startswith("{")]


def test_a_server_without_keys_says_it_is_open(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with _server(tmp_path, log) as url:
        assert httpx.get(f"{url}/v1/audit").status_code == 200
    warning = [json.loads(line) for line in log.read_text().splitlines() if "NO API KEYS" in line]
    assert warning and warning[0]["level"] == "WARNING" and "OPEN" in warning[0]["message"]
