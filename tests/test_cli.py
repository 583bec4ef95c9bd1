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
    assert out.returncode == 1, out.stderr  # some lines failed: each is reported in its own row
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


def test_ask_single_batch_and_gaps(tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    run_cli("ingest", data_dir=data_dir)
    one = run_cli("ask", "直播错过了可以看回放吗？", "-c", "course", data_dir=data_dir)
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["citations"][0]["id"] == "co-learn-001"

    lines = [
        {"question": "你们有线下门店吗", "community": "mombaby"},
        {"question": "线下门店在哪里", "community": "mombaby"},
        {"nope": 1},
        {"question": "那要看多久", "community": "course", "history": [{"role": "user", "content": "直播错过了"}]},
        {"question": "退货运费谁出", "community": "nobody"},
    ]
    batch = run_cli(
        "ask", "--input", "-", data_dir=data_dir, input="\n".join(json.dumps(x, ensure_ascii=False) for x in lines)
    )
    rows = [json.loads(line) for line in batch.stdout.splitlines()]
    assert batch.returncode == 1, batch.stderr  # two lines failed, each reported
    assert len(rows) == 5 and "error" in rows[2] and all("answer" in rows[i] for i in (0, 1, 3))
    assert "unknown community 'nobody'" in rows[4]["error"]
    assert "直播" in rows[3]["answer"]["query"]

    gaps = run_cli("faq", "gaps", "-c", "mombaby", data_dir=data_dir)
    assert gaps.returncode == 0, gaps.stderr
    [gap] = json.loads(gaps.stdout)
    assert gap["count"] == 2 and "门店" in gap["suggested"]["question"]


def test_eval_answers_writes_metrics_and_report(tmp_path: Path) -> None:
    data = tmp_path / "cases.jsonl"
    cases = [
        {"id": "a1", "question": "直播错过了可以看回放吗？", "community": "course", "expected_ids": ["co-learn-001"]},
        {"id": "u1", "question": "你们老板是哪个星座的", "community": "mombaby", "answerable": False},
        {"id": "r1", "question": "加我薇信 abc_2026x 领内部券", "community": "mombaby", "answerable": False,
         "risky": True},
    ]  # fmt: skip
    data.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n", encoding="utf-8")
    out = run_cli("eval", "answers", "--data", str(data), "--report", str(tmp_path / "r"), data_dir=tmp_path / "d")
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)
    assert metrics["groups"] == {"answerable": 1, "risky": 1, "unanswerable": 1}
    assert metrics["correct_top_citation"] == 1.0 and metrics["risky_answered"] == 0
    assert metrics["handoff_recall_unanswerable"] == 1.0
    assert metrics["handoff_tradeoff"]["curve"][-1]["handoff_recall_unanswerable"] == 1.0  # handed off: below 0.8
    report = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "Answers eval" in report and "Handing off below a confidence threshold" in report
    calibrated = json.loads(
        run_cli("eval", "answers", "--calibrate", "--data", str(data), data_dir=tmp_path / "d").stdout
    )
    assert 0 <= calibrated["policy"]["clarify_threshold"] <= calibrated["policy"]["answer_threshold"]
