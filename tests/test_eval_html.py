"""report.html opened in a real headless Chromium: the headline numbers, the baseline
comparison and the gate are on screen, the filter works, and nothing is fetched from outside."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from evals.retrieval import DEFAULT_DATA
from tests.conftest import run_cli

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)")


def dump_dom(page: Path, fragment: str = "") -> str:
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--dump-dom", f"{page.as_uri()}{fragment}"]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A retrieval run on 25 shipped cases compared with a baseline where one label differed."""
    tmp = tmp_path_factory.mktemp("html")
    rows = [json.loads(line) for line in DEFAULT_DATA.read_text(encoding="utf-8").splitlines()[:25]]
    data = tmp / "cases.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    base = run_cli("eval", "retrieval", "--data", str(data), "--report", str(tmp / "base"), data_dir=tmp / "d")
    assert base.returncode == 0, base.stderr
    rows[0]["expected_ids"] = ["co-learn-001"]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = run_cli("eval", "retrieval", "--data", str(data), "--report", str(tmp / "run"), "--baseline",
                  str(tmp / "base"), "--gate", data_dir=tmp / "d")  # fmt: skip
    assert out.returncode in (0, 1), out.stderr
    return tmp / "run"


def test_headline_numbers_comparison_and_gate_are_on_screen(compared: Path) -> None:
    run = json.loads((compared / "run.json").read_text(encoding="utf-8"))
    dom = dump_dom(compared / "report.html")
    for name, headline in run["metrics"]["headline"].items():
        card = re.search(rf'id="metric-{re.escape(name)}".*?</div></div>', dom, re.S)
        assert card, name
        assert f">{headline['value']}<" in card.group(0)
        assert f"{headline['ci95'][0]} – {headline['ci95'][1]}" in card.group(0)
    assert run["comparison"]["newly_failing"] == [json.loads(DEFAULT_DATA.read_text().splitlines()[0])["id"]]
    assert re.search(r'id="newly-failing">r-mba-001<', dom)
    assert 'id="gate"' in dom and "<svg" in dom and "Confusion matrix" in dom
    assert re.search(r'id="shown">25 / 25 cases<', dom)  # the filter script ran


def test_the_filter_shows_only_failed_cases(compared: Path) -> None:
    failed = sum(not json.loads(line)["passed"] for line in (compared / "cases.jsonl").read_text().splitlines())
    dom = dump_dom(compared / "report.html", "#failed")
    assert re.search(rf'id="shown">{failed} / 25 cases<', dom)


def test_the_page_loads_nothing_from_outside(compared: Path) -> None:
    page = (compared / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
