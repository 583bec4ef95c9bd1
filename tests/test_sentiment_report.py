"""The HTML report, opened in a real headless Chromium: what an operator sees (title, health
score, alerts with quoted messages, the charts) is on the rendered page, in Chinese, and the
page needs no network. Skipped when Debian's chromium is not installed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from assistant.sentiment.importers import open_log, read_messages
from assistant.sentiment.report import render
from assistant.services import Services
from tests.conftest import make_settings
from tests.test_sentiment_cli_api import chat_log

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    settings = make_settings(folder)
    with open_log(str(chat_log(folder / "chat.jsonl"))) as fh:
        summary = Services(settings).sentiment.summarize(read_messages(fh), ["运营小助手"])
    path = folder / "report.html"
    path.write_text(render(summary), encoding="utf-8")
    return path


def test_report_is_self_contained(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert not re.search(r"<script|<link|<img|src=|url\(", html)
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"] * html.count("<svg")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium fonts-noto-cjk)")
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    dom = subprocess.run([str(CHROMIUM), *flags, "--dump-dom", report.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout  # fmt: skip
    assert "<h1>群聊情绪报告" in dom
    assert re.search(r'id="health">\d+(\.\d)?</p>', dom)
    assert "活跃度" in dom and "响应" in dom
    assert "集中投诉" in dom and "风险消息集中出现" in dom and "[12-01 09:10 阿强]" in dom
    assert dom.count("<svg") == 2 and dom.count("<rect") >= 5
    shot = tmp_path / "shot.png"
    subprocess.run([str(CHROMIUM), *flags, f"--screenshot={shot}", "--window-size=1100,1400", report.as_uri()],
                   capture_output=True, timeout=120, check=True)  # fmt: skip
    assert shot.stat().st_size > 20_000  # text and charts drawn, not a blank page
