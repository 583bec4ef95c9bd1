"""Shared fixtures: real Chroma and real files in temp folders; no network, no real LLM."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.knowledge.loader import load_knowledge
from assistant.llm import BLOCK_ENV
from assistant.retrieval.index import KnowledgeIndex
from assistant.services import Services
from assistant.settings import PROJECT_ROOT, Settings
from tests.postgres import Cluster, binaries, cluster

SAMPLE_KNOWLEDGE = PROJECT_ROOT / "knowledge"
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _no_real_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach a real model: building a client for anything but a stub on loopback
    raises, and an OpenAI base URL a test does not set is unroutable."""
    monkeypatch.setenv(BLOCK_ENV, "1")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


class TestSettings(Settings):
    """Only what a test passes: no ``SHEQUN_*`` variable and no ``.env`` file leaks in (a
    developer's ``SHEQUN_LLM=openai`` once turned offline tests into real-model tests)."""

    __test__ = False

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_: object):  # type: ignore[no-untyped-def,override]
        return (init_settings,)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    return TestSettings(data_dir=data_dir, **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the sample knowledge ingested once for the whole session."""
    data_dir = tmp_path_factory.mktemp("sample-data")
    Services(make_settings(data_dir)).ingest(load_knowledge(SAMPLE_KNOWLEDGE))
    return data_dir


@pytest.fixture(scope="session")
def sample_index(sample_dir: Path) -> KnowledgeIndex:
    return KnowledgeIndex(make_settings(sample_dir))


@pytest.fixture
def empty_index(tmp_path: Path) -> KnowledgeIndex:
    return KnowledgeIndex(make_settings(tmp_path / "data"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQUN_")}
    return {**env, BLOCK_ENV: "1", "SHEQUN_DATA_DIR": str(data_dir), **extra}


def run_cli(*args: str, data_dir: Path, input: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    """Runs the installed ``shequn`` console script, as a user would."""
    return subprocess.run(
        [str(BIN / "shequn"), *args],
        input=input,
        capture_output=True,
        text=True,
        env=cli_env(data_dir, **extra),
        timeout=300,
    )


@pytest.fixture(scope="session")
def api_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served API's own data dir (API tests upload documents and write policy files)."""
    data_dir = tmp_path_factory.mktemp("api-data")
    assert run_cli("ingest", data_dir=data_dir).returncode == 0
    return data_dir


@pytest.fixture(scope="session")
def api_url(api_data_dir: Path) -> Iterator[str]:
    """``shequn ingest`` then ``shequn serve``: real uvicorn, real HTTP."""
    sample_dir = api_data_dir
    port = free_port()
    with started_server(
        [str(BIN / "shequn"), "serve", "--port", str(port)], port, "/healthz", cli_env(sample_dir)
    ) as url:
        yield url


def answers(url: str, seconds: float = 60) -> bool:
    """Polls ``url`` until it answers 200 (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.1)
    return False


@contextmanager
def started_server(
    command: list[str], port: int, health: str, env: dict[str, str] | None = None, stderr: Any = subprocess.PIPE
) -> Iterator[str]:
    """Runs ``command`` until the test is done; yields its base URL once ``health`` answers 200
    (``stderr``: an open file to keep a chatty server's log)."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        if not answers(f"{url}{health}"):
            proc.kill()
            raise RuntimeError(f"{command[0]} did not start: {proc.stderr.read() if proc.stderr else ''}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """One PostgreSQL cluster for the session; skips when Debian's ``postgresql`` is not installed."""
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    with cluster(bin_dir) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind shequn supports (storage tests run on both)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shequn.db'}"
    return request.getfixturevalue("postgres").new_database()
