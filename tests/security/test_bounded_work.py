"""No input grows memory or CPU without bound: random community names are refused without a
trace in any cache, and moderation time per character stays flat as text grows."""

from __future__ import annotations

import random
import string
import time
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st

from api.app import create_app
from assistant.moderation.engine import CACHED_MODERATORS
from assistant.services import Services
from tests.conftest import make_settings


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_random_community_names_leave_no_trace(sample_dir: Path) -> None:
    services = Services(make_settings(sample_dir))
    client = TestClient(create_app(services=services))
    assert client.post("/v1/moderations", json={"input": "你好", "community": "mombaby"}).status_code == 200
    before = _rss_mb()
    rng = random.Random(7)
    for _ in range(1500):
        name = "".join(rng.choices(string.ascii_lowercase + string.digits, k=12))
        resp = client.post("/v1/moderations", json={"input": "你好", "community": name})
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "unknown_community"
    assert len(services.moderation._moderators) <= 2  # the default and mombaby: nothing for unknown names
    assert _rss_mb() - before < 60  # 1,808 such requests once took a server from 478 MB to 4.1 GB


def test_the_moderator_cache_is_bounded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "moderation").mkdir(parents=True)
    for i in range(CACHED_MODERATORS + 10):
        (data / "moderation" / f"club{i}.yaml").write_text("threshold: 0.6\n", encoding="utf-8")
    moderation = Services(make_settings(data)).moderation
    for i in range(CACHED_MODERATORS + 10):
        assert moderation.moderator(f"club{i}").community == f"club{i}"
    assert len(moderation._moderators) == CACHED_MODERATORS


RISKY_UNITS = [
    "加微信abc_2026x领福利，",
    "转账到13800138000，",
    "验证码发给我",
    "代开发票",
    "http://t.cn/abc ",
    "高仿",
    "私聊我",
]


@settings(max_examples=3, deadline=None)
@given(st.lists(st.sampled_from(RISKY_UNITS), min_size=5, max_size=30))
@example(units=[RISKY_UNITS[0]] * 3 + [RISKY_UNITS[1], RISKY_UNITS[6]])  # lure words by numbers: was quadratic
def test_time_per_character_stays_flat_as_text_grows(units: list[str]) -> None:
    """Work is linear in the text: per character, 256k characters cost about what 4k do
    (quadratic span checks once took 24k characters 14.5 s). The bound is a ratio, so a busy
    machine slows both sides alike."""
    moderator = Services(make_settings(Path("/nonexistent"))).moderation.generic()
    unit = "".join(units)

    def per_char(n: int) -> float:
        text = (unit * (n // len(unit) + 1))[:n]
        started = time.perf_counter()
        verdict = moderator.moderate(text)
        elapsed = time.perf_counter() - started
        assert len(verdict.evidence) <= 20 * 14 * 2  # capped per category and rule
        return elapsed / n

    per_char(4_000)  # warm
    small = min(per_char(4_000) for _ in range(3))
    assert min(per_char(256_000) for _ in range(2)) < 4 * small  # best of two: one busy moment fails nothing
