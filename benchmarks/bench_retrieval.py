"""Retrieval speed: ingest throughput, hybrid search latency over 20k entries, CLI cold start.

Targets (issue #2): ingest ≥ 1,000 FAQ entries/s end to end; search p50 ≤ 10 ms, p95 ≤ 25 ms
over 20,000 entries; `shequn search` cold start ≤ 3 s. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.knowledge.loader import load_knowledge
from assistant.retrieval.index import KnowledgeIndex
from assistant.settings import PROJECT_ROOT, Settings
from evals.metrics import latency_ms

PRODUCTS = ["奶粉", "纸尿裤", "拉拉裤", "米粉", "奶瓶", "湿巾", "童装", "学步鞋", "Excel课", "写作课", "年卡", "PPT课"]
TOPICS = [
    ("怎么退货", "在订单页申请退货，7天内可无理由退货。"),
    ("多久发货", "现货付款后24小时内发出。"),
    ("能用优惠券吗", "结算页会自动匹配可用的优惠券。"),
    ("怎么开发票", "在订单详情申请电子发票。"),
    ("保质期多久", "包装底部印有生产日期和保质期。"),
    ("有没有活动", "关注群公告，每周五预告活动。"),
    ("怎么联系客服", "小程序「我的-联系客服」。"),
    ("尺码怎么选", "参考详情页尺码表。"),
]
QUALIFIERS = ["", "新款", "大包装", "旗舰店", "会员专享", "试用装", "礼盒", "二段", "三段", "进阶版"]


def synthetic_faq(n: int, path: Path) -> None:
    """``n`` distinct FAQ entries with three paraphrases each, as JSONL."""
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            product = f"{rng.choice(QUALIFIERS)}{rng.choice(PRODUCTS)}{i}号"
            question, answer = TOPICS[i % len(TOPICS)]
            entry = {
                "id": f"bench-{i}",
                "question": f"{product}{question}？",
                "similar": [f"请问{product}{question}", f"{product}的{question[:2]}问题", f"想了解{product}"],
                "answer": f"{product}：{answer}",
                "tags": [product],
            }
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def bench_ingest_and_search(n: int, queries: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "faq.jsonl"
        synthetic_faq(n, path)
        index = KnowledgeIndex(Settings(data_dir=Path(tmp) / "data"))
        index.tokenizer.load_dictionary()  # jieba's dictionary load is start-up, not ingest
        started = time.perf_counter()
        report = index.ingest(load_knowledge(path, community="bench"), workers=os.cpu_count() or 1)
        ingest_s = time.perf_counter() - started
        assert len(report.added) == n, report.errors[:3]
        rng = random.Random(11)
        texts = [
            f"{rng.choice(QUALIFIERS)}{rng.choice(PRODUCTS)}{rng.randrange(n)}号{rng.choice(TOPICS)[0]}"
            for _ in range(queries)
        ]
        index.search(texts[0], "bench", k=5)
        seconds = []
        for text in texts:
            t = time.perf_counter()
            index.search(text, "bench", k=5)
            seconds.append(time.perf_counter() - t)
        latency = latency_ms(seconds)
        return {
            "entries": n,
            "ingest_seconds": round(ingest_s, 2),
            "ingest_entries_per_s": round(n / ingest_s, 1),
            "search_p50_ms": latency["p50"],
            "search_p95_ms": latency["p95"],
            "search_queries": queries,
        }


def bench_cold_start(runs: int) -> dict[str, float]:
    """Wall time of a whole `shequn search` process over the ingested sample knowledge."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"SHEQUN_DATA_DIR": str(Path(tmp) / "data"), "PATH": str(Path(sys.executable).parent)}
        shequn = str(Path(sys.executable).parent / "shequn")
        subprocess.run([shequn, "ingest", str(PROJECT_ROOT / "knowledge")], env=env, capture_output=True, check=True)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run([shequn, "search", "快递到哪了", "-c", "mombaby"], env=env, capture_output=True, check=True)
            times.append(time.perf_counter() - t)
        return {"cold_start_median_s": round(statistics.median(times), 2), "cold_start_max_s": round(max(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args()
    result = {**bench_ingest_and_search(args.entries, args.queries), **bench_cold_start(args.cold_runs)}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
