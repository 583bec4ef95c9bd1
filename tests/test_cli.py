import json
from pathlib import Path

from tests.conftest import run_cli


def test_ingest_search_and_reingest(tmp_path: Path) -> None:
    first = run_cli("ingest", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert len(report["added"]) >= 210 and report["errors"] == []
    assert set(report["communities"]) == {"mombaby", "course"}

    again = json.loads(run_cli("ingest", data_dir=tmp_path).stdout)
    assert again["added"] == [] and again["unchanged"] == len(report["added"])

    out = run_cli("search", "直播错过了还能看吗", "-c", "course", "-k", "3", "--kind", "faq", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)["results"]
    assert len(results) == 3 and results[0]["id"].startswith("co-")
    assert {"id", "kind", "score", "title", "snippet", "retrievers"} <= set(results[0])


def test_ingest_reports_bad_lines_and_exits_nonzero(tmp_path: Path) -> None:
    faq = tmp_path / "mine.jsonl"
    faq.write_text('{"id":"m-1","question":"能开发票吗","answer":"能。"}\n{oops\n', encoding="utf-8")
    out = run_cli("ingest", str(faq), "--community", "shop", data_dir=tmp_path / "d")
    assert out.returncode == 1
    assert json.loads(out.stdout)["added"] == ["m-1"]
    assert f"{faq}:2" in out.stderr


def test_batch_search_streams_and_reports_bad_lines(tmp_path: Path) -> None:
    run_cli("ingest", data_dir=tmp_path)
    lines = [
        json.dumps({"id": "q1", "question": "优惠券怎么用", "community": "mombaby"}, ensure_ascii=False),
        "not json",
        json.dumps({"id": "q2"}),
        json.dumps({"id": "q3", "question": "发票", "community": "nobody"}, ensure_ascii=False),
        json.dumps({"id": "q4", "query": "年卡多少钱", "community": "course", "k": 2}, ensure_ascii=False),
    ]
    src, dst = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run_cli("search", "--input", str(src), "--output", str(dst), data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert [r.get("id") for r in rows] == ["q1", None, "q2", "q3", "q4"]
    assert rows[0]["results"] and "error" not in rows[0]
    assert rows[1]["line"] == 2 and "error" in rows[1]
    assert "question" in rows[2]["error"]
    assert "unknown community" in rows[3]["error"]
    assert len(rows[4]["results"]) == 2
    assert json.loads(out.stderr.strip().splitlines()[-1]) == {"lines": 5, "ok": 2, "errors": 3}


def test_search_errors_are_json(tmp_path: Path) -> None:
    run_cli("ingest", data_dir=tmp_path)
    out = run_cli("search", "退款", "-c", "nobody", data_dir=tmp_path)
    assert out.returncode == 2
    assert "unknown community" in json.loads(out.stdout)["error"]


def test_eval_retrieval_writes_metrics_and_report(tmp_path: Path) -> None:
    data = tmp_path / "cases.jsonl"
    cases = [
        {
            "id": "c1",
            "question": "直播没赶上能看回放吗",
            "expected_ids": ["co-learn-001"],
            "answerable": True,
            "community": "course",
        },
        {"id": "c2", "question": "你们招代理吗", "expected_ids": [], "answerable": False, "community": "mombaby"},
    ]
    data.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n", encoding="utf-8")
    report = tmp_path / "report"
    out = run_cli("eval", "retrieval", "--data", str(data), "--report", str(report), data_dir=tmp_path / "d")
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)
    assert metrics["cases"] == 2 and metrics["answerable"] == 1
    assert {"recall@1", "recall@5", "mrr", "no_answer", "latency_ms"} <= set(metrics)
    assert (report / "report.md").read_text(encoding="utf-8").startswith("# Retrieval eval")
    assert len((report / "cases.jsonl").read_text(encoding="utf-8").splitlines()) == 2
