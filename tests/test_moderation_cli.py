import json
from pathlib import Path

from tests.conftest import run_cli


def test_moderate_one_message(tmp_path: Path) -> None:
    out = run_cli("moderate", "加 微 信 abc_2026x 私聊领取", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    verdict = json.loads(out.stdout)
    assert verdict["risky"] and "spam_ads" in verdict["categories"]
    assert {"severity", "action", "evidence", "checks", "engine", "policy_version"} <= set(verdict)


def test_a_warning_quoting_a_scam_request_is_allowed(tmp_path: Path) -> None:
    out = run_cli("moderate", "千万别把验证码发给任何人，官方客服不会要", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    verdict = json.loads(out.stdout)
    assert not verdict["risky"] and verdict["action"] == "allow"
    assert "counter_speech" in [c["name"] for c in verdict["checks"] if c["flagged"]]


def test_batch_keeps_order_and_reports_bad_lines(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = ['{"id": 1, "text": "扫码进群领福利 t.cn/xyz"}', "{broken", '{"id": 3}', '{"id": 4, "text": "收到啦谢谢"}']
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = run_cli("moderate", "--input", str(src), "--output", str(dst), "--batch", "2", data_dir=tmp_path)
    assert out.returncode == 1, out.stderr  # bad lines are reported, and fail the command
    lines = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert [line.get("id") for line in lines] == [1, None, 3, 4]
    assert lines[0]["verdict"]["risky"] and not lines[3]["verdict"]["risky"]
    assert lines[1]["line"] == 2 and "invalid JSON" in lines[1]["error"]
    assert "text" in lines[2]["error"]
    assert json.loads(out.stderr.strip().splitlines()[-1]) == {"lines": 4, "ok": 2, "errors": 2}


def test_train_a_community_model_and_use_it(tmp_path: Path) -> None:
    data = tmp_path / "labelled.jsonl"
    risky = [f"团长{i}号今晚开车，懂的来，暗号老地方{i}" for i in range(30)]
    benign = [f"今天第{i}课的作业交好了，谢谢助教" for i in range(30)]
    rows = [{"text": t, "risky": True, "categories": []} for t in risky] + [{"text": t, "risky": False} for t in benign]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{bad line\n", encoding="utf-8")
    refused = run_cli("moderation", "train", "--data", str(data), "--community", "club", data_dir=tmp_path)
    assert refused.returncode == 2 and "60 rows, need at least 200" in json.loads(refused.stdout)["error"]
    out = run_cli("moderation", "train", "--data", str(data), "--community", "club", "--force", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["rows"] == 60 and report["skipped_lines"] == 1 and report["risky_f1"] > 0.9
    assert report["warnings"] and (tmp_path / "moderation" / "club.npz").exists()
    verdict = json.loads(run_cli("moderate", "团长今晚开车懂的来老地方", "-c", "club", data_dir=tmp_path).stdout)
    assert verdict["risky"]
    assert "classifier:club" in [c["name"] for c in verdict["checks"]]


def test_train_reads_heads_and_reports_a_bad_one_by_line(tmp_path: Path) -> None:
    """A community's own data may teach some heads only (``"heads"``); a bad value costs its line, said
    with the file and line number, and the rest still trains."""
    data = tmp_path / "labelled.jsonl"
    rows = [{"text": f"团长{i}号今晚开车，懂的来，暗号老地方{i}", "risky": True} for i in range(30)]
    rows += [{"text": f"今天第{i}课的作业交好了，谢谢助教", "risky": False} for i in range(30)]
    rows += [{"text": f"第{i}期的班长人很好，大家都喜欢她", "risky": False, "heads": ["hate"]} for i in range(5)]
    rows.append({"text": "团长说今晚老地方", "risky": True, "heads": "risky"})  # a string, not a list
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = run_cli("moderation", "train", "--data", str(data), "--community", "club", "--force", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["rows"] == 65 and json.loads(out.stdout)["skipped_lines"] == 1
    assert f"skipped {data}:66: heads must be a non-empty list" in out.stderr


def test_train_needs_both_classes(tmp_path: Path) -> None:
    data = tmp_path / "only_benign.jsonl"
    data.write_text('{"text": "你好", "risky": false}\n', encoding="utf-8")
    out = run_cli("moderation", "train", "--data", str(data), "--community", "club", data_dir=tmp_path)
    assert out.returncode == 2 and "both risky and benign" in json.loads(out.stdout)["error"]


def test_large_batch_in_worker_processes_keeps_order(tmp_path: Path) -> None:
    """Three batches (1000, 1000, 500) in flight over two workers, a bad line among them."""
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    n, bad = 2500, 1234
    texts = ["加 薇 信 abc_2026x 领福利" if i % 3 == 0 else f"第{i}天打卡，今天的作业交了" for i in range(n)]
    lines = [json.dumps({"n": i, "text": t}, ensure_ascii=False) for i, t in enumerate(texts)]
    lines[bad] = '{"n": 1234, "text": '
    src.write_text("\n".join(lines) + "\n", "utf-8")
    out = run_cli(
        "moderate", "--input", str(src), "--output", str(dst), "--workers", "2", "--batch", "1000", data_dir=tmp_path
    )
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stderr.splitlines()[-1]) == {"lines": n, "ok": n - 1, "errors": 1}
    rows = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert rows[bad]["line"] == bad + 1 and rows[bad]["error"].startswith("invalid JSON")
    assert [r["n"] for i, r in enumerate(rows) if i != bad] == [i for i in range(n) if i != bad]
    assert [r["verdict"]["risky"] for i, r in enumerate(rows) if i != bad] == [i % 3 == 0 for i in range(n) if i != bad]


def test_eval_moderation_reports_metrics(tmp_path: Path) -> None:
    data = tmp_path / "cases.jsonl"
    cases = [
        {
            "id": "a",
            "text": "加 薇 信 abc_2026x 领福利",
            "risky": True,
            "categories": ["spam_ads"],
            "technique": "homophone",
        },
        {"id": "b", "text": "第21天打卡完成", "risky": False, "categories": [], "technique": "lookalike"},
        "{not json",
    ]
    data.write_text("\n".join(c if isinstance(c, str) else json.dumps(c, ensure_ascii=False) for c in cases), "utf-8")
    report = tmp_path / "report"
    out = run_cli("eval", "moderation", "--data", str(data), "--report", str(report), data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)
    assert metrics["cases"] == 2 and metrics["risky"]["f1"] == 1.0
    assert metrics["evasion"]["caught_right_category"] == 1.0 and metrics["evasion"]["false_alarm_rate"] == 0.0
    assert len(metrics["dataset_errors"]) == 1
    assert "# Moderation eval" in (report / "report.md").read_text(encoding="utf-8")


def test_a_broken_policy_file_stops_with_its_name_and_reason(tmp_path: Path) -> None:
    policy = tmp_path / "moderation" / "club.yaml"
    policy.parent.mkdir()
    policy.write_text("threshold: high\n", encoding="utf-8")
    done = run_cli("moderate", "你好", "--community", "club", data_dir=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    reason = "threshold: Input should be a valid number, unable to parse string as a number"
    assert json.loads(done.stdout) == {
        "error": f"invalid settings file moderation/club.yaml: {reason}",
        "file": "moderation/club.yaml",
        "reasons": [reason],
    }
