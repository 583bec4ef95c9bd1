"""Every CLI command turns bad input into one line on stderr and a documented exit code
(2: could not run; 1: some lines failed, the rest still written), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli


def _one_line_error(done: object, code: int = 2) -> str:
    assert done.returncode == code, (done.stdout, done.stderr)  # type: ignore[attr-defined]
    assert "Traceback" not in done.stderr  # type: ignore[attr-defined]
    lines = done.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["moderate", "--input", "/no/such/file.jsonl"], "No such file"),
        (["moderate", "--input", "/tmp"], "Is a directory"),
        (["search", "退款", "--kind", "foo"], "'foo' is not one of"),
        (["faq", "gaps", "--days", "99999999999"], "--days"),
        (["serve", "--port", "99999"], "--port"),
        (["ask", "运费谁出", "--history", '[{"role": "bot", "content": "x"}]'], "history[0].role"),
        (["ask", "运费谁出", "--history", "[{"], "--history is not JSON"),
        (["ingest", "/no/such/folder"], "no such file"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    done = run_cli(*args, data_dir=tmp_path)
    if args[0] == "ingest":
        assert done.returncode == 1 and expected in done.stderr and "Traceback" not in done.stderr
        return
    assert expected in _one_line_error(done)


def test_unwritable_output_is_an_error_before_any_work(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "你好"}\n', encoding="utf-8")
    done = run_cli(
        "moderate", "--input", str(src), "--output", str(tmp_path / "missing" / "out.jsonl"), data_dir=tmp_path
    )
    assert "No such file" in _one_line_error(done)


def test_a_non_utf8_line_is_reported_and_the_others_written(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(
        '{"text": "第一行"}\n'.encode() + '{"text": "你好"}\n'.encode("gbk") + '{"text": "第三行"}\n'.encode()
    )
    done = run_cli("moderate", "--input", str(src), "--output", str(dst), data_dir=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    rows = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert [r.get("text") for r in rows] == ["第一行", None, "第三行"]
    assert rows[1]["line"] == 2 and rows[1]["error"] == "line is not valid UTF-8"


def test_a_huge_question_is_answered_and_logged_truncated(tmp_path: Path) -> None:
    assert run_cli("ingest", data_dir=tmp_path).returncode == 0
    question = "请问这个到底怎么弄" * 110_000  # ~1 MB
    row = json.dumps({"question": question, "community": "mombaby"}, ensure_ascii=False)
    done = run_cli("ask", "--input", "-", data_dir=tmp_path, input=row + "\n")
    assert done.returncode == 0, done.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "shequn.db") as db:
        lengths = [row[0] for row in db.execute("select length(question) from question_log")]
    assert lengths and max(lengths) <= 2000
